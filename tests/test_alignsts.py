"""AlignSTS: window mask, guided attention, the rhythm VQ, forward passes, overfitting, checkpoint, converter."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from models.alignsts.attention import diagonal_window_mask, guided_attention_loss
from models.alignsts.converter import AlignSTSConverter
from models.alignsts.data import crop
from models.alignsts.features import melody_frames, pitch_frames
from models.alignsts.model import VARIANTS, AlignSTS, AlignSTSConfig
from models.alignsts.train import WEIGHTS, AlignSTSTask, collate
from models.alignsts.vq import EMAQuantizer
from models.base import Audio
from models.errors import AudioInputError, MelodyError
from models.melody import Melody, Note, parse_note_text
from models.rhythm import rhythm_of_mel


@pytest.fixture(autouse=True)
def one_thread():
    """Small tensors: a second thread only waits on the busy core (measured 2.0 s vs 0.11 s per step)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


#: tests run a narrow copy; the architecture is the same
SMALL = {"channels": 16, "ffn_channels": 32, "decoder_channels": 16, "decoder_dilations": (1, 2)}


def test_window_mask_on_a_hand_made_case():
    # Tq 4, Tk 10, width 0.4: half = ⌊0.4 · 10⌋ / 2 = 2, centres ⌊t / 4 · 10⌋ = 0, 2, 5, 7
    allowed = diagonal_window_mask(torch.tensor([4]), torch.tensor([10]), 4, 10, 0.4)[0]
    expected = torch.zeros(4, 10, dtype=torch.bool)
    for t, centre in enumerate([0, 2, 5, 7]):
        expected[t, max(0, centre - 2) : centre + 2] = True
    assert torch.equal(allowed, expected)


def test_window_mask_respects_each_items_lengths_and_never_empties_a_row():
    allowed = diagonal_window_mask(torch.tensor([2, 4]), torch.tensor([3, 6]), 4, 6, 0.01)
    assert allowed.sum(-1).min() >= 1  # narrow windows keep the centre key
    assert not allowed[0, :, 3:].any()  # item 0 has 3 keys
    assert torch.equal(allowed[0, 2:], torch.tensor([[True] + [False] * 5] * 2))  # padded queries: key 0
    assert torch.equal(allowed[1].float().argmax(-1), torch.tensor([0, 1, 3, 4]))  # ⌊t / 4 · 6⌋


def test_guided_attention_loss_is_zero_on_the_diagonal_and_matches_a_hand_computation():
    lengths = torch.tensor([2])
    diagonal = torch.eye(2)[None]
    assert guided_attention_loss(diagonal, lengths, lengths, 0.3).item() == pytest.approx(0.0, abs=1e-7)
    crossed = torch.tensor([[[0.0, 1.0], [1.0, 0.0]]])
    penalty = 1 - math.exp(-(0.5**2) / (2 * 0.3**2))
    assert guided_attention_loss(crossed, lengths, lengths, 0.3).item() == pytest.approx(
        2 * penalty / 4, rel=1e-5
    )
    # padding is neither penalized nor counted
    padded = torch.zeros(1, 3, 3)
    padded[0, :2, :2] = crossed[0]
    padded[0, 2, 0] = 1.0
    assert guided_attention_loss(padded, lengths, lengths, 0.3).item() == pytest.approx(
        2 * penalty / 4, rel=1e-5
    )


def test_quantizer_uses_every_code_and_passes_gradients_straight_through():
    torch.manual_seed(0)
    centres = torch.randn(6, 8) * 4
    vq = EMAQuantizer(6, 8, decay=0.9).train()
    mask = torch.ones(4, 50, dtype=torch.bool)
    commitments = []
    for _ in range(30):
        labels = torch.randint(6, (4, 50))
        commitments.append(vq(centres[labels] + 0.05 * torch.randn(4, 50, 8), mask)[2].item())
    labels = torch.arange(6).repeat(5)[None]
    x = (centres[labels] + 0.05 * torch.randn(1, 30, 8)).requires_grad_()
    quantized, codes, _ = vq.eval()(x, torch.ones(1, 30, dtype=torch.bool))
    assert codes.unique().numel() == 6
    spread = centres.var(dim=0).mean().item()  # commitment of a single code at the mean: about this
    assert np.mean(commitments[-5:]) < 0.3 * spread, (commitments[-5:], spread)
    weights = torch.randn_like(x)
    (quantized * weights).sum().backward()
    assert torch.allclose(x.grad, weights)  # straight through: d(quantized)/dx = identity
    assert torch.allclose(quantized.detach(), vq.lookup(codes))


def test_quantizer_moves_a_dead_code_back_onto_the_data():
    torch.manual_seed(1)
    vq = EMAQuantizer(6, 4, decay=0.9).train()
    mask = torch.ones(2, 60, dtype=torch.bool)
    data = torch.randn(2, 60, 4)
    vq(data, mask)  # initializes the codebook from the data
    vq.codebook[0] = 1000.0  # a code no input will ever choose
    vq.ema_sum[0] = 1000.0
    for _ in range(40):
        vq(torch.randn(2, 60, 4), mask)
    assert vq.codebook[0].abs().max() < 10
    assert vq.eval()(torch.randn(4, 200, 4), torch.ones(4, 200, dtype=torch.bool))[1].unique().numel() == 6


def synthetic_example(rng: np.random.Generator, t1: int, t2: int, n_phones: int = 6) -> dict:
    """A pair's cached features: a singing mel whose notes and loudness follow the rhythm and notes."""
    notes = np.repeat(rng.integers(55, 70, n_phones), int(np.ceil(t1 / n_phones)))[:t1] + 1
    rhythm = (np.arange(t1) % (t1 // n_phones) > 3).astype(np.float32)
    mel = -8 + 6 * rhythm[None] * np.exp(-0.5 * ((np.arange(80)[:, None] - (notes[None] - 40)) / 2.0) ** 2)
    onsets = np.zeros(t1, np.int8)
    onsets[:: t1 // n_phones] = 1
    sung = np.linspace(0, t1 * 256 / 22050, n_phones + 1)
    spoken = np.linspace(0, t2 * 0.01, n_phones + 1)
    return {
        "content": np.log(np.full((40, t2), 1 / 40)).astype(np.float16)
        + rng.normal(size=(40, t2)).astype(np.float16),
        "speech_rhythm": (rng.random(t2) > 0.3).astype(np.float32),
        "speaker": rng.normal(-5, 1, 80).astype(np.float32),
        "mel": mel.astype(np.float16),
        "rhythm": rhythm,
        "notes": notes.astype(np.int16),
        "onsets": onsets,
        "f0": (440 * 2 ** ((notes - 1 - 69) / 12) * (rhythm > 0)).astype(np.float32),
        "sung_bounds": np.stack([sung[:-1], sung[1:]]).astype(np.float32),
        "spoken_bounds": np.stack([spoken[:-1], spoken[1:]]).astype(np.float32),
    }


@pytest.mark.parametrize("variant", VARIANTS)
def test_forward_with_teacher_forced_and_predicted_rhythm(variant, rng):
    model = AlignSTS(AlignSTSConfig(variant=variant, **SMALL)).eval()
    batch = collate([synthetic_example(rng, 40, 20), synthetic_example(rng, 31, 25)])
    args = (
        batch["content"],
        batch["content_lengths"],
        batch["notes"],
        batch["onsets"],
        batch["lengths"],
        batch["speaker"],
    )
    with torch.inference_mode():
        forced = model(
            *args, rhythm=batch["rhythm"] if variant != "no_rhythm_adaptor" else batch["speech_rhythm"]
        )
        assert forced["mel"].shape == (2, 80, 40) and torch.isfinite(forced["mel"]).all()
        assert forced["codes"].shape == (2, 20)
        if variant == "no_rhythm_adaptor":
            with pytest.raises(ValueError):
                model(*args)
            return
        predicted = model(*args)
    assert predicted["mel"].shape == (2, 80, 40) and torch.isfinite(predicted["mel"]).all()
    assert predicted["code_logits"].shape == (2, 20, 6)
    assert predicted["attention_adaptor"].shape == (2, 40, 25)
    if variant != "no_aligner":
        assert predicted["attentions_aligner"].shape == (2, 2, 40, 25)
        # attention rows of valid queries stay inside the window and sum to one
        rows = predicted["attentions_aligner"][:, 0, 0, :31]
        assert torch.allclose(rows.sum(-1), torch.ones(2), atol=1e-5)
    # the first item is unaffected by the second's padding
    alone = collate([synthetic_example(np.random.default_rng(1234), 40, 20)])
    with torch.inference_mode():
        single = model(
            alone["content"],
            alone["content_lengths"],
            alone["notes"],
            alone["onsets"],
            alone["lengths"],
            alone["speaker"],
        )
    assert torch.allclose(single["mel"][0], predicted["mel"][0], atol=1e-4)


def test_loss_falls_on_a_tiny_batch():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    examples = [synthetic_example(rng, 48, 24), synthetic_example(rng, 40, 20)]
    task = AlignSTSTask(examples, config=AlignSTSConfig(**SMALL), corpus_info={}, crop_seconds=10.0)
    optimizer = torch.optim.Adam(task.model.parameters(), lr=3e-3)
    batch = collate(examples)
    history = []
    for _ in range(60):
        loss, logs = task.loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(logs)
    first, last = history[0], history[-1]
    assert last["l1"] < 0.5 * first["l1"], (first, last)
    assert last["ce"] < first["ce"], (first, last)
    assert set(WEIGHTS) <= set(first)


def test_crop_takes_the_same_phones_from_both_sides(rng):
    example = synthetic_example(rng, 600, 300, n_phones=12)  # 7 s of singing, 3 s of speech
    cut = crop(example, np.random.default_rng(3), seconds=2.0)
    frames = cut["mel"].shape[1]
    assert 2.0 <= frames * 256 / 22050 <= 3.5
    sung_share = frames / 600
    spoken_share = cut["content"].shape[1] / 300
    assert abs(sung_share - spoken_share) < 0.05  # uniform phones here: equal shares of both sides
    assert cut["onsets"][0] == 1 and all(cut[k].shape[-1] == frames for k in ("rhythm", "notes"))


def test_rhythm_target_is_near_binary_and_pitch_frames_follow_the_notes():
    mel = np.full((80, 100), -10.0)
    mel[:, 20:60] = 0.0
    r = rhythm_of_mel(mel)
    assert r[25:55].min() > 0.99 and r[:15].max() < 0.01
    melody = Melody((Note(60, 0.0, 0.5), Note(None, 0.5, 0.25), Note(62, 0.75, 0.5)))
    n = melody_frames(melody)
    notes, onsets = pitch_frames(melody, n)
    assert n == math.ceil(1.25 / (256 / 22050))
    assert notes[0] == 61 and notes[-1] == 63 and (notes == 0).sum() > 0
    assert onsets.sum() == 2 and onsets[0] == 1


@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory):
    rng = np.random.default_rng(5)
    task = AlignSTSTask(
        [synthetic_example(rng, 48, 24)], config=AlignSTSConfig(**SMALL), corpus_info={"manifest_sha256": "x"}
    )
    path = str(tmp_path_factory.mktemp("alignsts") / "alignsts.pt")
    task.save(path, train_info={"steps": 0})
    return task, path


def test_checkpoint_round_trip(small_checkpoint):
    task, path = small_checkpoint
    converter = AlignSTSConverter(path)
    assert converter.config == task.config
    for key, value in task.model.state_dict().items():
        assert torch.equal(converter.model.state_dict()[key], value), key


def speech_like(seconds: float = 1.5, sr: int = 16000) -> Audio:
    """Harmonics of a gliding F0 under a moving formant, gated into syllables."""
    t = np.arange(int(seconds * sr)) / sr
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    formant = 600 + 400 * np.sin(2 * np.pi * 3 * t)
    x = sum(np.exp(-0.5 * ((k * f0 - formant) / 300) ** 2) * np.sin(k * phase) for k in range(1, 25))
    gate = (np.sin(2 * np.pi * 4 * t) > -0.3).astype(float)
    return Audio((0.3 * x * gate / np.abs(x).max()).astype(np.float32), sr)


def test_converter_end_to_end(small_checkpoint):
    _, path = small_checkpoint
    converter = AlignSTSConverter(path)
    melody = parse_note_text("tempo=120 c4/4 e4/4 g4/2")
    options = converter.Options(vocoder="griffinlim", griffinlim_iterations=4)
    result = converter.convert(speech_like(), melody=melody, options=options)
    assert result.audio.sr == 22050
    assert abs(result.audio.duration - melody.duration) < 0.05  # the output lasts as long as the melody
    assert np.isfinite(result.audio.samples).all() and np.abs(result.audio.samples).max() > 0
    assert result.output_mel.shape[0] == 80 and set(result.timings) == {"network", "vocoder", "plots"}
    with pytest.raises(AudioInputError):
        converter.convert(speech_like(0.2), melody=melody)
    with pytest.raises(MelodyError):
        converter.convert(speech_like(), melody=None)
