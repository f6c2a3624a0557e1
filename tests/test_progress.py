"""Progress inside long stages: StageTimer's within-stage reports, the vocoders' and WORLD analysis's.

Reporting must never change an output: the vocoders are checked against the same synthesis without a
listener (and Griffin-Lim against librosa's own loop, which ours re-runs step for step).
"""

import itertools

import numpy as np
import pytest

from models import features, vocoders, world
from models.base import StageTimer
from models.features import Audio, load_audio
from models.resynthesis import VocoderCheck
from tests.conftest import SPEECH_EXAMPLE


def _record():
    calls: list[tuple[float, str]] = []
    return calls, lambda fraction, stage: calls.append((fraction, stage))


def test_a_stage_reports_its_own_fraction_within_its_share_of_the_whole():
    calls, progress = _record()
    timer = StageTimer(progress, stages=4)
    with timer("first"):
        pass
    with timer("second") as within:
        within(0.5)
        within(2.0)  # clamped to the stage's end
    assert calls == [(0.0, "first"), (0.25, "second"), (0.375, "second"), (0.5, "second")]
    assert list(timer.timings) == ["first", "second"]


@pytest.fixture(scope="module")
def long_speech() -> Audio:
    """12 s: the example said four times, so the vocoder stage lasts long enough to matter."""
    speech = load_audio(SPEECH_EXAMPLE)
    return Audio(np.tile(speech.samples, 4), speech.sr)


@pytest.mark.parametrize(
    ("vocoder", "at_least"), [("hifigan", 16), ("griffinlim", 8)], ids=["hifigan", "griffinlim"]
)
def test_a_long_synthesis_reports_increasing_progress_within_the_vocoder_stage(
    long_speech, vocoder, at_least
):
    if vocoder == "hifigan" and vocoders.hifigan().runtime != "torch":
        at_least = 1  # OpenVINO / ONNX Runtime run a chunk as one call: one report per chunk (one here)
    calls, progress = _record()
    options = VocoderCheck.Options(vocoder=vocoder, griffinlim_iterations=8)
    VocoderCheck().convert(long_speech, options=options, progress=progress)
    inside = [fraction for fraction, stage in calls if stage == vocoder]
    assert inside[0] == pytest.approx(1 / 3)  # the stage's start: analysis done
    assert inside[-1] == pytest.approx(2 / 3)  # all of it done before the plots
    assert len(inside) > at_least  # HiFi-GAN: 16 blocks; Griffin-Lim: one report per iteration
    assert all(a < b for a, b in itertools.pairwise(inside))
    fractions = [fraction for fraction, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] < 1


def test_hifigan_reports_across_its_chunks_and_its_output_is_unchanged():
    hifigan = vocoders.hifigan()
    mel = features.log_mel(load_audio(SPEECH_EXAMPLE))[:, :120]
    chunked = vocoders.HiFiGAN(hifigan.generator, chunk_frames=50, first_frames=50, whole_up_to=0)  # 3 chunks
    seen: list[float] = []
    reported = chunked.synthesize(mel, progress=seen.append)
    assert np.array_equal(reported.samples, chunked.synthesize(mel).samples)
    assert len(seen) == 3 * 16 and seen[-1] == pytest.approx(1.0)
    assert all(a < b for a, b in itertools.pairwise(seen))
    assert seen[15] == pytest.approx(50 / 120) and seen[31] == pytest.approx(100 / 120)  # chunk ends
    assert not any(module._forward_hooks for module in hifigan.generator.modules())  # hooks removed


def test_griffinlim_is_librosas_loop_with_a_report_per_iteration():
    import librosa

    spec = features.HIFIGAN_MEL
    magnitude = features.magnitude(load_audio(SPEECH_EXAMPLE).samples[:22050], spec)
    seen: list[float] = []
    ours = vocoders.GriffinLim(n_iter=5)._iterate(magnitude, 5, seen.append)
    theirs = librosa.griffinlim(
        magnitude, n_iter=5, hop_length=spec.hop_length, win_length=spec.win_length, n_fft=spec.n_fft,
        window="hann", center=False, momentum=0.99, init="random", random_state=0,
    )  # fmt: skip
    assert np.array_equal(ours, theirs)
    assert seen == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])


def test_world_analysis_reports_each_step_and_is_unchanged():
    speech = features.to_rate(load_audio(SPEECH_EXAMPLE), 22050)
    seen: list[float] = []
    reported = world.analyse(speech, progress=seen.append)
    plain = world.analyse(speech)
    assert seen == [0.35, 0.5, 1.0]
    for name in ("f0", "sp", "ap"):
        assert np.array_equal(getattr(reported, name), getattr(plain, name)), name
