import math

import numpy as np
import pytest

from evaluation.dtw import dtw
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
)
from models import features
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


def test_lsd_db_of_a_tenfold_louder_copy_is_20_db(rng):
    noise = Audio((0.05 * rng.standard_normal(SR)).astype(np.float32), SR)  # every bin well above 1e-8
    louder = Audio(noise.samples * 10, SR)
    assert lsd_db(noise, louder) == pytest.approx(20.0, abs=1e-3)
    assert lsd_icassp(noise, louder) > 1.0


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
    log_amp = truth[0] + 2 * sum(truth[m] * np.cos(m * warped) for m in range(1, 25))
    envelope = np.exp(2 * log_amp)[None, :]  # power
    assert mel_cepstrum_from_envelope(envelope=envelope, alpha=alpha)[0] == pytest.approx(truth, abs=2e-3)


def test_mcd_of_a_signal_with_itself_is_zero_and_grows_with_a_change():
    tone = sung_tone()
    assert mcd(tone, tone) == 0.0
    assert mcd(tone, sung_tone(factor=1.5)) > 0.5


def test_mcd_ignores_a_faint_floor_above_8_khz_that_a_16_khz_reference_lacks():
    """HiFi-GAN and WORLD put such a floor over 16 kHz recordings; at 22.05 kHz MCD counted this one, 60 dB
    under the speech and inaudible, as 7.9 dB: more than any converter's error."""
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
