"""How a reference recording drives WORLD speech→singing: the octave that fits the voice, the guide-vocal
alignment and its timing, the recorded pitch curve sung as it is, and the guide's loudness."""

from __future__ import annotations

import itertools

import numpy as np

from models import features, world
from models.dsp.guide import MISMATCH_RATIO, GuideAlignment, align_to_guide
from models.errors import AudioInputError
from models.features import Audio
from models.melody import Melody
from models.world import FRAME_MS

#: the sung range is centred this far above the speaking voice's median F0 (measured: PJS's singer sings a
#: median 4.3 semitones above his speech, the synthetic corpus 7.9)
SUNG_ABOVE_SPEECH_ST = 5.0
#: a melody whose median lies within this of that centre keeps its octave
OCTAVE_TOLERANCE_ST = 9.0


def fit_octave(melody: Melody, params: world.WorldParams) -> tuple[Melody, str]:
    """``melody`` moved by whole octaves so its median pitch lies near the speaker's singing range (the
    speech's median F0 + :data:`SUNG_ABOVE_SPEECH_ST`), and a sentence saying so; unchanged (and "") when
    it already lies within :data:`OCTAVE_TOLERANCE_ST` of it."""
    voiced = params.f0[params.f0 > 0]
    pitches = melody.contour(FRAME_MS / 1000).hz
    pitches = pitches[pitches > 0]
    if not len(voiced) or not len(pitches):
        return melody, ""
    speech_median = float(np.median(voiced))
    centre = 69 + 12 * np.log2(speech_median / 440.0) + SUNG_ABOVE_SPEECH_ST
    median = 69 + 12 * np.log2(float(np.median(pitches)) / 440.0)
    if abs(median - centre) <= OCTAVE_TOLERANCE_ST:
        return melody, ""
    octaves = int(round((centre - median) / 12))
    if octaves == 0:
        return melody, ""
    return melody.transposed(12 * octaves), (
        f"Moved the melody {'up' if octaves > 0 else 'down'} {abs(octaves)} octave"
        f"{'s' if abs(octaves) > 1 else ''} into your range (your speech's median pitch: {speech_median:.0f} Hz); "
        "untick 'Octave to fit my voice' to keep it where it is."
    )


def require_voice(params: world.WorldParams) -> None:
    """A recording with almost no voiced speech cannot be sung: say so rather than return silence."""
    voiced_s = float(np.sum(params.f0 > 0)) * FRAME_MS / 1000
    if voiced_s < 0.15:
        raise AudioInputError(
            f"No voiced speech: only {voiced_s:.2f} s of the recording is voiced, too little to sing. Record "
            "a spoken sentence (whispering or noise cannot be sung)."
        )


def guide_alignment(source: Audio, melody: Melody) -> tuple[GuideAlignment | None, str]:
    """The alignment to the melody's recording, or None with the reason for using the melody only."""
    if melody.recording is None:
        return None, "Guide vocal needs a reference recording; the notes were sung instead."
    if melody.recording.duration > 10 * source.duration:
        return None, (
            f"The reference ({melody.recording.duration:.1f} s) is over ten times longer than the speech "
            f"({source.duration:.1f} s), so it cannot sing the same words; its melody was used instead."
        )
    alignment = align_to_guide(source, melody.recording)
    if not alignment.words_match:
        return None, (
            f"The reference does not seem to sing the words you spoke (alignment score {alignment.match:.2f}, "
            f"words match below {MISMATCH_RATIO}); its melody was used instead of its timing."
        )
    return alignment, f"Aligned to the guide vocal (score {alignment.match:.2f})."


def guide_indices(alignment: GuideAlignment, melody: Melody, n_frames: int) -> np.ndarray:
    """For each output WORLD frame, the speech frame the guide alignment puts there (tempo applied)."""
    frame_s = FRAME_MS / 1000
    scale = melody.recording.duration / melody.duration if melody.duration > 0 else 1.0
    speech_s = alignment.speech_time_at(np.arange(n_frames) * frame_s * scale)
    return np.round(speech_s / frame_s).astype(int)


#: loudness envelopes: RMS over 5 ms frames, smoothed over this many frames (30 ms)
LOUDNESS_SMOOTH_FRAMES = 6


def envelope(samples: np.ndarray, hop: int) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    n = len(samples) // hop
    rms = np.sqrt(np.mean(samples[: n * hop].reshape(n, hop).astype(np.float64) ** 2, axis=1) + 1e-12)
    return uniform_filter1d(rms, LOUDNESS_SMOOTH_FRAMES)


def follow_loudness(samples: np.ndarray, sr: int, melody: Melody) -> np.ndarray:
    """``samples`` with the loudness over time of the melody's recording (tempo applied), gains between
    −26 and +26 dB, interpolated sample by sample. Measured on four PJS test songs: LSD (icassp) to the
    true singing 13.2 / 14.0 / 11.1 / 9.8 → 11.4 / 12.0 / 8.3 / 8.1."""
    hop = round(FRAME_MS / 1000 * sr)
    guide = features.to_rate(melody.recording, sr).samples
    mine = envelope(samples, hop)
    scale = len(guide) / max(1, len(samples))  # > 1 where the melody was sped up
    theirs = np.interp(
        np.arange(len(mine)) * scale, np.arange(len(envelope(guide, hop))), envelope(guide, hop)
    )
    gain = np.clip(theirs / mine, 0.05, 20.0)
    centres = (np.arange(len(gain)) + 0.5) * hop
    return (samples * np.interp(np.arange(len(samples)), centres, gain)).astype(np.float32)


#: unvoiced stretches of a recorded contour up to this long inside a sung stretch are bridged (a
#: tracker's dropout or the reference's own consonant must not silence the vowel held over it)
BRIDGE_S = 0.06


def contour_f0(melody: Melody, tied, n_frames: int, expression: np.ndarray | None) -> np.ndarray:
    """The sung F0 per WORLD frame of a melody that follows its recorded contour: the contour as it is,
    unvoiced gaps under :data:`BRIDGE_S` and tied rests (spans in seconds) bridged; ``expression`` (a
    per-frame pitch ratio, or None) is multiplied in."""
    frame_s = FRAME_MS / 1000
    hz = np.zeros(n_frames)
    contour = melody.contour(frame_s).hz[:n_frames]
    hz[: len(contour)] = contour
    hz = bridge_gaps(hz, int(round(BRIDGE_S / frame_s)))
    for start, end in tied:
        hz = bridge_gaps(hz, n_frames, within=(int(start / frame_s), int(np.ceil(end / frame_s))))
    return hz * expression if expression is not None else hz


def bridge_gaps(hz: np.ndarray, max_frames: int, *, within: tuple[int, int] | None = None) -> np.ndarray:
    """Unvoiced runs of at most ``max_frames`` between two voiced frames (only those overlapping the frame
    span ``within`` when given) filled by log-linear interpolation of their voiced neighbours."""
    out = hz.copy()
    voiced = np.flatnonzero(out > 0)
    for left, right in itertools.pairwise(voiced):
        gap = right - left - 1
        if gap <= 0 or gap > max_frames:
            continue
        if within is not None and (right - 1 < within[0] or left + 1 > within[1]):
            continue  # the gap must overlap the span (a tie ends where the next note's consonants start)
        fraction = np.arange(1, gap + 1) / (gap + 1)
        out[left + 1 : right] = np.exp(np.log(out[left]) * (1 - fraction) + np.log(out[right]) * fraction)
    return out


#: the singer's formant band and the body of the voice it is compared with (long-term spectra, Hz)
FORMANT_BAND_HZ, BODY_BAND_HZ = (2500.0, 3500.0), (300.0, 2500.0)


def formant_gain_db(speech: Audio, guide: Audio, cap_db: float) -> float:
    """The singer's-formant boost a guide vocal asks for: how much more energy the guide has near 3 kHz
    (relative to the body of its voice; long-term spectra of loud frames) than the speech, clipped to
    0…``cap_db``. A fixed +6 dB moved the output away from the guide it follows: PJS valid guide-vocal LSD
    9.47 (+6 dB) → 9.27 (this) → 9.25 (0 dB), RCA 0.865 → 0.873 → 0.874."""
    return float(np.clip(_formant_ratio_db(guide) - _formant_ratio_db(speech), 0.0, cap_db))


def _formant_ratio_db(audio: Audio) -> float:
    spec = features.HIFIGAN_MEL  # the project's one STFT (1024-point Hann, hop 256, 22.05 kHz)
    power = (
        features.magnitude(features.to_rate(audio, spec.sample_rate).samples, spec).astype(np.float64).T ** 2
    )
    energy = power.sum(axis=1)
    spectrum = power[energy > energy.max() * 1e-4].mean(axis=0)  # frames within 40 dB of the loudest
    freqs = np.fft.rfftfreq(spec.n_fft, 1 / spec.sample_rate)

    def band(edges):
        return spectrum[(freqs >= edges[0]) & (freqs < edges[1])].mean()

    return float(10 * np.log10(band(FORMANT_BAND_HZ) / max(band(BODY_BAND_HZ), 1e-20)))
