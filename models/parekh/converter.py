"""The ICASSP 2020 encoder–decoder as a Songbridge converter (one per bundled variant checkpoint).

Inference as in the paper: silence removal, uniform phase-vocoder stretch of the speech to the melody's
length, the network, negative outputs clipped, |S| = e^Ŷ − 1, then Griffin-Lim on |S|^p — the paper's
p = 1.2 (an advanced option; results/retrain_pjs/sharpen/ measures others). The melody
image is drawn from the target notes' singing F0 (with vibrato, as the training images came from sung
F0), in the image kind the checkpoint was trained with.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from models import features
from models.base import Audio, ConversionResult, ProgressFn, Task, load_model, option, training_data
from models.dsp.sing_f0 import F0Style, singing_f0
from models.mel_converter import convert_with_vocoder
from models.melody import Melody, required
from models.parekh.data import SPEC, melody_image, speech_input
from models.parekh.model import ParekhConfig, ParekhSTS
from models.vocoders import GriffinLim, griffinlim_iterations_option, hifigan, vocoder_option

#: the sharpening of |S| before phase reconstruction, the paper's. 1.5 was the best shared value for LSD
#: (icassp) on PJS valid (−0.6 to −1.2) and on test cleaner (DNSMOS +0.2 to +0.6), but it also scales the
#: envelope and tilt: MCD +1.4 to +1.7 dB, speaker similarity −0.03 (results/retrain_pjs/sharpen/)
GL_POWER = 1.2
#: mean ln-mel difference between the 16 kHz-mapped and the directly computed HiFi-GAN mel, measured on
#: held-out synthetic singing (+0.195): the denser 16 kHz bins sum more of a spread spectrum
MEL_OFFSET = 0.195


def harmonic_comb(log1p_magnitude: np.ndarray, f0: np.ndarray, depth: float) -> np.ndarray:
    """Our post-filter: |S| raised by e^depth at the harmonics of ``f0`` (Hz per frame, 0 unvoiced) and
    lowered as much midway between them, in voiced frames — the pitch the network was given, drawn sharply
    into a prediction that blurs its harmonics. Over a harmonic period spanning whole bins, ln|S| keeps its
    mean. Measured on Griffin-Lim's path only (results/retrain_pjs/sharpen/); it applies before either vocoder."""
    freqs = np.arange(log1p_magnitude.shape[0]) * SPEC.sample_rate / SPEC.n_fft
    voiced = np.isfinite(f0) & (f0 > 0)
    cycles = freqs[:, None] / np.where(voiced, f0, 1.0)[None, :]
    comb = np.where(voiced[None, :], np.cos(2 * np.pi * cycles), 0.0)
    return np.log1p(np.expm1(log1p_magnitude) * np.exp(depth * comb)).astype(np.float32)


def given_f0(melody: Melody, frames: int, *, vibrato_cents: float = 35.0) -> np.ndarray:
    """The F0 (Hz per 16 ms frame, 0 unvoiced) the network is given for ``melody``: a followed reference
    recording's own contour, as the paper feeds it, or the notes' singing F0 with vibrato."""
    hop_s = SPEC.hop_length / SPEC.sample_rate
    if melody.follows_contour:
        f0 = np.zeros(frames)
        contour = melody.contour(hop_s).hz[:frames]
        f0[: len(contour)] = contour
        return f0
    return singing_f0(melody, frames, hop_s, F0Style(vibrato_extent_cents=vibrato_cents))


def linear_to_hifigan_mel(log1p_magnitude: np.ndarray) -> np.ndarray:
    """The paper's 16 kHz log(1 + |S|) frames → HiFi-GAN's 22.05 kHz log-mel frames.

    Mel bands are defined in Hz, and 16 kHz bins reach 8 kHz, HiFi-GAN's fmax, so the same triangles
    are laid on the 16 kHz bins; a sinusoid's peak |S| is the same for a 1024-sample Hann window at
    either rate. Frames are interpolated from the 16 ms hop to HiFi-GAN's 11.6 ms.
    """
    mel_spec = features.HIFIGAN_MEL
    linear = features.decompress(log1p_magnitude, SPEC)
    filters = features.mel_filters(
        SPEC.sample_rate, SPEC.n_fft, mel_spec.n_mels, mel_spec.fmin, mel_spec.fmax
    )
    mel = filters @ linear
    seconds = mel.shape[1] * SPEC.hop_length / SPEC.sample_rate
    n_out = int(round(seconds * mel_spec.sample_rate / mel_spec.hop_length))
    source = (np.arange(n_out) + 0.5) * mel.shape[1] / n_out - 0.5
    resampled = np.stack([np.interp(source, np.arange(mel.shape[1]), row) for row in mel])
    return features.compress(resampled, mel_spec) - MEL_OFFSET


@dataclass(frozen=True)
class ParekhOptions:
    vocoder: str = vocoder_option(
        "Griffin-Lim on the sharpened |S| as in the paper, or HiFi-GAN (universal weights) on the predicted "
        "spectrogram "
        "mapped to its mel scale — our addition.",
        default="griffinlim",
    )
    griffinlim_iterations: int = griffinlim_iterations_option(
        "Griffin-Lim iterations (the paper used 40); time grows linearly."
    )
    griffinlim_power: float = option(
        GL_POWER,
        f"Griffin-Lim voices |S| raised to this power (the paper's {GL_POWER}): higher sharpens harmonics "
        "against the network's smoothing — 1.5 sounds cleaner and scores a lower LSD on real pairs, but "
        "exaggerates the formants and tilt (higher MCD, lower speaker similarity).",
        label="Griffin-Lim sharpening exponent",
        minimum=1.0,
        maximum=2.5,
        step=0.1,
        advanced=True,
    )
    harmonic_emphasis: float = option(
        0.0,
        "Ours, not the paper's: sharpen the output's harmonics at the pitch the network was given, ×e^depth at "
        "each harmonic and ÷ as much between them (0: the paper's output).",
        label="Harmonic emphasis (depth)",
        minimum=0.0,
        maximum=2.0,
        step=0.1,
        advanced=True,
    )
    vibrato_extent_cents: float = option(
        35.0,
        "Vibrato drawn into the melody image the network follows (0 for flat notes).",
        label="Vibrato depth (cents)",
        minimum=0.0,
        maximum=100.0,
        step=5.0,
    )


class ParekhConverter:
    task = Task.SPEECH_TO_SINGING
    needs_melody = True
    Options = ParekhOptions

    def __init__(self, checkpoint_path: str):
        self.model, checkpoint = load_model(
            checkpoint_path, model="parekh", feature_spec=SPEC, build=lambda c: ParekhSTS(ParekhConfig(**c))
        )
        self.variant = checkpoint.config["variant"]
        self.name = f"parekh-{self.variant}"
        self.image_kind = checkpoint.config["melody_image"]
        self.train_info = checkpoint.train

    def trained_steps(self) -> str:
        """Its training steps, with those of a checkpoint it was started from (``--init``)."""

        def count(n) -> str:
            return f"{n:,}" if isinstance(n, int) else str(n)

        steps = count(self.train_info.get("steps", "?"))
        start = self.train_info.get("init") or {}
        if start.get("steps"):
            return f"{steps} (on from {start.get('variant', 'another checkpoint')}'s {count(start['steps'])})"
        return steps

    @torch.inference_mode()
    def singing_spectrogram(
        self, speech: Audio, melody: Melody, *, vibrato_cents: float = 35.0, harmonic_emphasis: float = 0.0
    ) -> np.ndarray:
        """(F, T) predicted log(1 + |S|) of ``speech`` sung to ``melody`` (16 kHz, 16 ms frames), with
        :func:`harmonic_comb` at the F0 the network was given when ``harmonic_emphasis`` > 0."""
        hop = SPEC.hop_length
        n_samples = int(round(melody.duration * SPEC.sample_rate / hop)) * hop
        x = speech_input(features.to_rate(speech, SPEC.sample_rate), n_samples)
        f0 = given_f0(melody, x.shape[1], vibrato_cents=vibrato_cents)
        image = melody_image(f0, self.image_kind)
        y, _ = self.model(torch.from_numpy(x)[None], torch.from_numpy(image)[None])
        predicted = y[0].clamp_min(0).numpy()
        return harmonic_comb(predicted, f0, harmonic_emphasis) if harmonic_emphasis > 0 else predicted

    def convert(
        self,
        audio: Audio,
        *,
        melody: Melody | None = None,
        options: ParekhOptions | None = None,
        progress: ProgressFn | None = None,
    ) -> ConversionResult:
        melody = required(melody)
        options = options or ParekhOptions()
        if options.vocoder == "hifigan":  # ours: HiFi-GAN on the prediction mapped to its mel scale
            vocoder, how = hifigan, "HiFi-GAN on the mel-mapped prediction."
        else:  # the paper's: Griffin-Lim on the 16 kHz prediction sharpened to |S|^p
            n_iter = options.griffinlim_iterations
            power = options.griffinlim_power
            vocoder = functools.partial(GriffinLim, spec=SPEC, n_iter=n_iter, power=power)
            how = f"Griffin-Lim {n_iter} iterations on |S|^{power:g}."

        def predict() -> np.ndarray:
            predicted = self.singing_spectrogram(
                audio,
                melody,
                vibrato_cents=options.vibrato_extent_cents,
                harmonic_emphasis=options.harmonic_emphasis,
            )
            return linear_to_hifigan_mel(predicted) if options.vocoder == "hifigan" else predicted

        if options.harmonic_emphasis > 0:
            how += f" Harmonics sharpened at the given pitch (depth {options.harmonic_emphasis:g}; ours)."
        notes = []
        if melody.follows_contour:
            notes.append("The network was given the reference recording's own pitch curve.")
        notes.append(
            f"ICASSP 2020 encoder–decoder, variant {self.variant}, trained {self.trained_steps()} steps "
            f"on {training_data(self.train_info)}, {self.image_kind} melody image; {how}"
        )
        return convert_with_vocoder(
            audio,
            predict=predict,
            vocoder=vocoder,
            rate=SPEC.sample_rate,
            progress=progress,
            target_f0=melody.contour(),
            notes=notes,
        )
