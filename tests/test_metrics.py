import math

import numpy as np
import pytest

from evaluation.metrics import (
    MCD_CONSTANT,
    contour_scores,
    lsd_db,
    lsd_from_magnitudes,
    lsd_icassp,
    mcd,
    mcd_from_cepstra,
    mel_cepstrum_from_envelope,
    pitch_scores,
    true_pitch_scores,
)
from models import features
from models.dtw import dtw
from models.features import Audio, load_audio
from models.melody import Note, midi_to_hz
from tests.conftest import SPEECH_EXAMPLE

SR = 22050
NOTES = (Note(57, 0.0, 0.6), Note(None, 0.6, 0.2), Note(60, 0.8, 0.6))  # A3, rest, C4


def sung_tone(notes=NOTES, *, factor: float = 1.0) -> Audio:
    """A harmonic tone that follows ``notes`` (times ``factor`` in frequency), silent in rests."""
    t = np.arange(int(max(n.end for n in notes) * SR)) / SR
    hz = np.zeros_like(t)
    for note in notes:
        if note.midi is not None:
            hz[(t >= note.onset) & (t < note.end)] = midi_to_hz(note.midi) * factor
    phase = 2 * np.pi * np.cumsum(hz) / SR
    x = sum(np.sin(k * phase) / k for k in range(1, 6)) * (hz > 0)
    return Audio((0.3 * x).astype(np.float32), SR)


def test_identical_signals_give_zero_lsd_and_full_chroma_accuracy():
    tone = sung_tone()
    assert lsd_icassp(tone, tone) == 0.0
    assert lsd_db(tone, tone) == 0.0
    track = features.f0(tone, method="accurate")
    same = contour_scores(estimate=track, reference=track)
    assert same.rca == 1.0 and same.rpa == 1.0 and same.f0_rmse_cents == 0.0 and same.vde == 0.0
    assert pitch_scores(estimate=track, notes=NOTES).rca == 1.0


def vibrato_tone(cents: float = 80.0, rate_hz: float = 5.5) -> Audio:
    """:func:`sung_tone` with a ±``cents`` sinusoidal vibrato around each note: a real singer's contour."""
    t = np.arange(int(max(n.end for n in NOTES) * SR)) / SR
    hz = np.zeros_like(t)
    for note in NOTES:
        if note.midi is not None:
            hz[(t >= note.onset) & (t < note.end)] = midi_to_hz(note.midi)
    hz = hz * 2 ** (cents * np.sin(2 * np.pi * rate_hz * t) / 1200)
    phase = 2 * np.pi * np.cumsum(hz) / SR
    x = sum(np.sin(k * phase) / k for k in range(1, 6)) * (hz > 0)
    return Audio((0.3 * x).astype(np.float32), SR)


def test_pitch_against_the_true_singing_rewards_following_the_singer_not_the_notes():
    """ARCHITECTURE.md "Pitch accuracy of an output": an output equal to the true singing scores 1.0; a
    copy of a singer with ±80-cent vibrato, re-sung flat at the rounded notes, scores clearly below 1.0
    against the singer and 1.0 against the notes (the old yardstick, which it would have won)."""
    singer, flat = vibrato_tone(), sung_tone()
    same = true_pitch_scores(singer, singer)
    assert same.rpa == 1.0 and same.rca == 1.0
    against_singer = true_pitch_scores(flat, singer)
    assert against_singer.rpa < 0.7 and against_singer.rca < 0.7
    assert pitch_scores(estimate=features.f0(flat, method="accurate"), notes=NOTES).rpa == 1.0


def test_pitch_scores_count_a_missing_tail_as_misses():
    singer = vibrato_tone(cents=0.0)
    half = Audio(singer.samples[: int(0.7 * SR)], SR)  # ends inside the rest: the second note is missing
    assert true_pitch_scores(half, singer).rpa == pytest.approx(0.5, abs=0.08)
    notes_rpa = pitch_scores(estimate=features.f0(half, method="accurate"), notes=NOTES).rpa
    assert notes_rpa == pytest.approx(0.5, abs=0.08)


def test_octave_shifted_output_has_full_chroma_and_no_pitch_accuracy():
    up = features.f0(sung_tone(factor=2.0), method="accurate")
    scores = pitch_scores(estimate=up, notes=NOTES)
    assert scores.rca == 1.0
    assert scores.rpa == 0.0
    assert scores.f0_rmse_cents == pytest.approx(1200, abs=30)


def test_pitch_scores_accept_manifest_note_rows():
    track = features.f0(sung_tone(), method="accurate")
    rows = [[57, 0.0, 0.6], [None, 0.6, 0.2], [60, 0.8, 0.6]]
    assert pitch_scores(estimate=track, notes=rows) == pitch_scores(estimate=track, notes=NOTES)


def test_lsd_hand_computed_cases():
    # icassp: L_ref = ln(0.1 + 0.9) = 0, L_est = ln(0.1); per frame sqrt(2 · ln(10)²) = √2 · ln 10.
    ref, est = np.full((2, 3), 0.9), np.zeros((2, 3))
    assert lsd_from_magnitudes(reference=ref, estimate=est, variant="icassp") == pytest.approx(
        math.sqrt(2) * math.log(10)
    )
    # db: per frame one bin differs by 20 dB and one by 0: sqrt((400 + 0) / 2) = 10·√2 in both frames.
    ref, est = np.array([[1.0, 10.0], [1.0, 10.0]]), np.array([[10.0, 10.0], [1.0, 1.0]])
    assert lsd_from_magnitudes(reference=ref, estimate=est, variant="db") == pytest.approx(10 * math.sqrt(2))


def test_lsd_cannot_be_gamed_by_level(rng):
    """Both LSDs RMS-match the estimate first: a −6 dB copy scores what the 0 dB copy scores (0), and a
    changed spectrum scores the same at any level (before issue 20 quieter scored better)."""
    noise = Audio((0.05 * rng.standard_normal(SR)).astype(np.float32), SR)
    for lsd in (lsd_icassp, lsd_db):
        assert lsd(noise, Audio(noise.samples * 0.5, SR)) == pytest.approx(0.0, abs=1e-4)
        tilted = Audio(np.convolve(noise.samples, [1.0, 0.6], mode="same").astype(np.float32), SR)
        at_zero_db = lsd(noise, tilted)
        assert at_zero_db > 0.5
        assert lsd(noise, Audio(tilted.samples * 0.5, SR)) == pytest.approx(at_zero_db, rel=1e-3)
        assert lsd(noise, Audio(tilted.samples * 2.0, SR)) == pytest.approx(at_zero_db, rel=1e-3)


def test_lsd_runs_over_the_reference_so_a_truncated_output_scores_worse():
    tone = sung_tone()
    short = Audio(tone.samples[: len(tone.samples) - SR // 2], SR)  # identical, 0.5 s short
    longer = Audio(np.concatenate([tone.samples, tone.samples[: SR // 2]]), SR)  # a tail past the end
    for lsd in (lsd_icassp, lsd_db):
        assert lsd(tone, tone) == 0.0
        assert lsd(tone, short) > 1.0  # the missing tail counts as silence
        assert lsd(tone, longer) < lsd(tone, short)


def test_mcd_hand_computed_cases():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(6, 25))
    one = ref.copy()
    one[:, 1] += 1.0
    assert mcd_from_cepstra(reference=ref, estimate=one, align=False) == pytest.approx(MCD_CONSTANT)
    assert MCD_CONSTANT == pytest.approx(6.1418, abs=1e-4)
    three_four = ref.copy()
    three_four[:, 3] += 3.0
    three_four[:, 24] -= 4.0
    assert mcd_from_cepstra(reference=ref, estimate=three_four, align=False) == pytest.approx(
        5 * MCD_CONSTANT
    )
    level = ref.copy()
    level[:, 0] += 7.0  # c0 is excluded
    assert mcd_from_cepstra(reference=ref, estimate=level) == 0.0
    slow = np.repeat(ref, 2, axis=0)  # same frames, twice as long: DTW pairs them exactly
    assert mcd_from_cepstra(reference=ref, estimate=slow) == 0.0
    assert mcd_from_cepstra(reference=ref, estimate=slow, align=False) > 1.0


@pytest.mark.parametrize("alpha", [0.0, 0.455])
def test_mel_cepstrum_recovers_known_warped_cepstra(alpha):
    truth = np.zeros(25)
    truth[:4] = [1.0, 0.3, -0.2, 0.05]
    omega = np.linspace(0, np.pi, 1025)
    warped = omega + 2 * np.arctan(alpha * np.sin(omega) / (1 - alpha * np.cos(omega)))
    log_amp = truth[0] + sum(truth[m] * np.cos(m * warped) for m in range(1, 25))  # SPTK: L = c0 + Σ c_m cos
    envelope = np.exp(2 * log_amp)[None, :]  # power
    assert mel_cepstrum_from_envelope(envelope=envelope, alpha=alpha)[0] == pytest.approx(truth, abs=2e-3)


def test_mcd_is_on_the_standard_scale_hand_computed():
    """A known answer, computed by hand and independent of the code: changing the log amplitude by
    0.2·cos(3ω̃) (on the warped axis) changes the log spectrum by an RMS of (20 / ln 10)·0.2 / √2 dB
    = 1.2284 dB, which is what the standard MCD of SPTK mel-cepstra gives (pysptk + ESPnet's formula
    give 1.2284 too; the half-scale cepstra before issue 20 gave 0.6142)."""
    alpha = 0.42
    omega = np.linspace(0, np.pi, 1025)
    warped = omega + 2 * np.arctan(alpha * np.sin(omega) / (1 - alpha * np.cos(omega)))
    base = 0.5 - 0.3 * np.cos(warped) + 0.1 * np.cos(2 * warped)
    changed = base + 0.2 * np.cos(3 * warped)
    ref = mel_cepstrum_from_envelope(envelope=np.exp(2 * base)[None, :], alpha=alpha)
    est = mel_cepstrum_from_envelope(envelope=np.exp(2 * changed)[None, :], alpha=alpha)
    by_hand = 20 / math.log(10) * 0.2 / math.sqrt(2)
    assert by_hand == pytest.approx(1.2284, abs=1e-4)
    assert mcd_from_cepstra(reference=ref, estimate=est, align=False) == pytest.approx(by_hand, rel=0.01)


def test_mcd_of_a_signal_with_itself_is_zero_and_grows_with_a_change():
    tone = sung_tone()
    assert mcd(tone, tone) == 0.0
    assert mcd(tone, sung_tone(factor=1.5)) > 0.5


def test_mcd_ignores_a_faint_floor_above_8_khz_that_a_16_khz_reference_lacks():
    """HiFi-GAN and WORLD put such a floor over 16 kHz recordings; at 22.05 kHz MCD counted this one, 60 dB
    under the speech and inaudible, as 15.7 dB (standard scale): more than any converter's error."""
    import scipy.signal

    speech = features.to_rate(load_audio(SPEECH_EXAMPLE), SR)  # a 16 kHz recording
    highpass = scipy.signal.butter(8, 8500, "highpass", fs=SR, output="sos")
    floor = scipy.signal.sosfilt(highpass, np.random.default_rng(0).standard_normal(len(speech.samples)))
    floor *= np.sqrt(np.mean(speech.samples**2)) * 10 ** (-60 / 20)
    assert mcd(speech, Audio((speech.samples + floor).astype(np.float32), SR)) < 0.2


def brute_force_dtw(cost: np.ndarray) -> float:
    n, m = cost.shape

    def best(i: int, j: int) -> float:
        if (i, j) == (n - 1, m - 1):
            return cost[i, j]
        options = [best(i + di, j + dj) for di, dj in ((1, 0), (0, 1), (1, 1)) if i + di < n and j + dj < m]
        return cost[i, j] + min(options)

    return best(0, 0)


@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (3, 1), (3, 3), (4, 6), (6, 5)])
def test_dtw_matches_brute_force(shape, rng):
    for _ in range(5):
        cost = rng.random(shape)
        total, path = dtw(cost=cost)
        assert total == pytest.approx(brute_force_dtw(cost))
        assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (shape[0] - 1, shape[1] - 1)
        steps = np.diff(path, axis=0)
        assert all(tuple(s) in {(1, 0), (0, 1), (1, 1)} for s in steps)
        assert cost[path[:, 0], path[:, 1]].sum() == pytest.approx(total)


def test_intonation_measures_range_and_declination_of_a_falling_contour():
    from evaluation.metrics import intonation
    from models.features import F0Track

    times = np.arange(0, 2, 0.01)
    hz = 200 * 2 ** (-3 * times / 12)  # falls 3 semitones per second, 6 in all
    hz[50:60] = 0  # an unvoiced gap is ignored
    tone = intonation(F0Track(times, hz))
    assert tone.slope_st_per_s == pytest.approx(-3.0, abs=1e-6)
    assert tone.range_st == pytest.approx(0.9 * 6, abs=0.1)  # 5th–95th percentile of a uniform fall


def test_intonation_tells_a_sung_tune_from_speech_and_refuses_too_few_voiced_frames():
    from evaluation.metrics import intonation
    from models.features import F0Track

    times = np.arange(0, 4, 0.01)
    tune = 220 * 2 ** (np.array([0, 4, 7, 12])[(times // 1).astype(int)] / 12)  # a rising arpeggio
    tone = intonation(F0Track(times, tune))
    assert tone.range_st > 10 and tone.slope_st_per_s > 2
    assert np.isnan(intonation(F0Track(times[:9], tune[:9])).range_st)


def test_lsd_level_is_measured_on_what_is_scored_so_a_tail_past_the_reference_changes_nothing():
    tone = sung_tone()
    with_tail = Audio(np.concatenate([tone.samples, np.zeros(len(tone.samples), np.float32)]), SR)
    for lsd in (lsd_icassp, lsd_db):  # measured on the whole output the level was 3 dB off: LSD ≈ 3
        assert lsd(tone, with_tail) < 0.5  # the resampler's edge at the cut, nothing more
