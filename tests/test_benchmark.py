"""The benchmark end to end on a tiny corpus written here, on a real-voice-style set, and on --external."""

import dataclasses
import math
import os
import time

import numpy as np
import pandas as pd
import pytest
import soundfile

from evaluation.benchmark.__main__ import main
from evaluation.benchmark.rtf import measure_rtf, standard_melody
from evaluation.benchmark.systems import parse_settings
from evaluation.festival import speak
from models.corpus.manifest import Pair, read_manifest, sha256_file, write_manifest
from models.dsp.world_sts import WorldSpeechToSinging
from models.features import Audio
from models.melody import Melody, Note

LYRICS = ("the old clock stopped", "we walked home")
NOTES = (
    [[55, 0.0, 0.4], [57, 0.4, 0.4], [None, 0.8, 0.1], [59, 0.9, 0.4], [60, 1.3, 0.6]],
    [[52, 0.0, 0.4], [55, 0.4, 0.4], [57, 0.8, 0.8]],
)
STS, S2S = "speech → singing", "singing → speech"


def make_tiny_corpus(folder: str) -> str:
    """Festival speech and its WORLD-sung version (world-sts to the notes) as a test split, in
    ``manifest.jsonl``; the first pair as a real-voice-style set (WORLD-sung labelled, input only) in
    ``real.jsonl``."""
    os.makedirs(os.path.join(folder, "speech"), exist_ok=True)
    os.makedirs(os.path.join(folder, "singing"), exist_ok=True)
    pairs = []
    for i, (text, notes) in enumerate(zip(LYRICS, NOTES, strict=True)):
        speech = speak(text)
        melody = Melody(tuple(Note(m, o, d) for m, o, d in notes))
        singing = WorldSpeechToSinging().convert(speech, melody=melody).audio
        files = {"speech_wav": f"speech/p{i}.wav", "singing_wav": f"singing/p{i}.wav"}
        soundfile.write(os.path.join(folder, files["speech_wav"]), speech.samples, speech.sr)
        soundfile.write(os.path.join(folder, files["singing_wav"]), singing.samples, singing.sr)
        pairs.append(
            Pair(
                id=f"p{i}",
                split="test",
                speaker="kal",
                base_voice="kal_diphone",
                text=text,
                speech_wav=files["speech_wav"],
                singing_wav=files["singing_wav"],
                speech_phones=[(0.0, speech.duration, "SIL")],
                singing_phones=[(0.0, singing.duration, "SIL")],
                notes=[tuple(n) for n in notes],
                sample_rate=speech.sr,
                sha256={k: sha256_file(os.path.join(folder, v)) for k, v in files.items()},
            )
        )
    write_manifest(pairs, os.path.join(folder, "manifest.jsonl"))
    label = {"singing_wav": "WORLD-sung by world-sts: an input for singing→speech only, not a real singer"}
    real = [dataclasses.replace(p, singing_phones=None, extra=label) for p in pairs[:1]]
    write_manifest(real, os.path.join(folder, "real.jsonl"))
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> str:
    return make_tiny_corpus(str(tmp_path_factory.mktemp("corpus")))


def test_parse_settings():
    assert parse_settings(["world-s2s.mode=dur", "world-sts.vibrato_rate_hz=6"]) == {
        "world-s2s": {"mode": "dur"},
        "world-sts": {"vibrato_rate_hz": "6"},
    }
    with pytest.raises(ValueError, match=r"converter\.field=value"):
        parse_settings(["mode=dur"])
    assert main(["--corpus", "x", "--out", "y", "--set", "no-such.field=1"]) == 2
    assert main(["--real", "/nonexistent/manifest.jsonl", "--out", "y"]) == 2
    assert main(["--corpus", "x", "--out", "y", "--ppg", "/nonexistent/ppg.pt"]) == 2


def test_benchmark_runs_end_to_end_on_a_tiny_corpus_and_a_real_voice_set(corpus, tmp_path, capsys):
    out = str(tmp_path / "out")
    args = [
        "--corpus",
        corpus,
        "--split",
        "test",
        "--converters",
        "world-sts,world-s2s",
        "--out",
        out,
        "--quiet",
    ]
    real = ["--real", os.path.join(corpus, "real.jsonl")]
    code = main([*args, *real, "--set", "world-s2s.mode=dur", "--vocoders", "griffinlim", "--rtf-runs", "0"])
    assert code == 0
    frame = pd.read_csv(os.path.join(out, "results.csv"), keep_default_na=False, na_values=[""])
    ours = frame[frame.set == "corpus test"]
    systems = set(ours.system)
    assert systems == {
        "world-sts",
        "world-s2s",
        "true singing via griffinlim (ceiling)",
        "true speech via griffinlim (ceiling)",
        "input speech, uniformly stretched (floor)",
        "input singing, uniformly stretched (floor)",
        "sine at the notes (floor)",
    }
    assert len(ours) == 2 * len(systems)  # one row per item × system
    sts = ours[ours.task == STS].set_index("system")
    assert (sts.loc["world-sts", "rpa"] >= 0.7).all()  # the converter follows the melody …
    assert (sts.loc["input speech, uniformly stretched (floor)", "rpa"] <= 0.3).all()  # … speech does not
    sine = sts.loc["sine at the notes (floor)"]
    # in tune with the notes, but no words; the true singing is not a staircase of notes, so against it the
    # sine scores lower than against the notes
    assert (sine.rpa_notes >= 0.9).all() and (sine.aligned == 0).all()
    assert (sine.rpa < sine.rpa_notes).all()
    voiced = sts.drop(index="sine at the notes (floor)")
    for column in (
        "lsd_icassp",
        "lsd_db",
        "mcd",
        "rca",
        "rpa_notes",
        "dnsmos",
        "f0_rmse_cents",
        "vde",
        "aligned",
        "wer",
        "speaker_sim",
    ):
        assert voiced[column].notna().all(), column
    s2s = ours[ours.task == S2S]
    assert s2s.mcd.notna().all() and s2s.wer.notna().all() and s2s.rpa.isna().all()
    # PER (ppg) against the words' dictionary phones (these items' manifest phones are only SIL): the
    # true speech is heard far better than a sine at the same notes, which holds no phones at all
    assert frame.per.notna().all()
    speech = ours[ours.system == "true speech via griffinlim (ceiling)"].set_index("item").per
    sine = sts.loc["sine at the notes (floor)"].set_index("item").per
    assert (speech < sine - 0.3).all(), (speech, sine)

    real_rows = frame[frame.set == "real voices"]
    assert set(real_rows.kind) == {"converter", "floor"}  # no ceiling: there is no true target
    assert real_rows.lsd_icassp.isna().all() and real_rows.mcd.isna().all()  # WORLD-sung is no reference
    assert real_rows.wer.notna().all() and real_rows.speaker_sim.notna().all()
    real_sts = real_rows[real_rows.system == "world-sts"]
    assert real_sts.rpa_notes.notna().all() and real_sts.rpa.isna().all()  # no true singing: notes only

    with open(os.path.join(out, "table.md"), encoding="utf-8") as handle:
        table = handle.read()
    assert "| System | LSD (icassp) ↓ | RCA ↑ | RPA ↑ | RPA vs notes ↑ |" in table and "PER (ppg) ↓" in table
    assert "### corpus test: singing → speech" in table and "### real voices: speech → singing" in table
    assert "table.md" in capsys.readouterr().out


def test_rtf_is_the_median_ratio_after_a_warm_up():
    calls = []

    def run() -> Audio:
        calls.append(1)
        time.sleep(0.01 * len(calls))  # 0.01 s warm-up, then 0.02, 0.03, 0.04 s
        return Audio(np.zeros(1000, np.float32), 10000)  # 0.1 s of output

    assert measure_rtf(run=run, runs=3) == pytest.approx(0.3, abs=0.08)
    assert len(calls) == 4
    assert standard_melody().duration == pytest.approx(10.0)


def test_external_folder_is_scored(corpus, tmp_path):
    root = tmp_path / "external"
    pair = read_manifest(corpus)[0]
    context = root / "_context" / pair.id
    context.mkdir(parents=True)
    for folder in ("_reference", "mine", "theirs"):
        (root / folder).mkdir()
    sung, spoken = os.path.join(corpus, pair.singing_wav), os.path.join(corpus, pair.speech_wav)
    os.link(spoken, context / "source.wav")
    os.link(sung, root / "_reference" / f"{pair.id}.wav")
    os.link(sung, root / "mine" / f"{pair.id}.wav")  # a perfect system
    os.link(spoken, root / "theirs" / f"{pair.id}.wav")  # a system that returns the speech
    (context / "melody.txt").write_text(" ".join(f"{m}:{d}" if m else f"r:{d}" for m, _, d in pair.notes))
    (context / "text.txt").write_text(pair.text)
    out = str(tmp_path / "out")
    assert main(["--external", str(root), "--out", out, "--quiet"]) == 0
    frame = pd.read_csv(os.path.join(out, "results.csv")).set_index("system")
    assert len(frame) == 2 and set(frame.task) == {STS}
    assert frame.loc["mine", "lsd_icassp"] == 0 and frame.loc["mine", "mcd"] == 0
    assert frame.loc["theirs", "lsd_icassp"] > 1
    assert frame.loc["mine", "rpa"] > frame.loc["theirs", "rpa"] + 0.5
    assert not math.isnan(frame.loc["mine", "speaker_sim"])


def test_external_folder_with_bad_items_names_each_and_still_writes_the_table(corpus, tmp_path, write_wav):
    """A too-short, a silent and an unvoiced true target, and a system missing one output: each gets a
    sentence naming the item, and the rest of the table is written."""
    import soundfile

    root = tmp_path / "external"
    pair = read_manifest(corpus)[0]
    sung, _ = soundfile.read(os.path.join(corpus, pair.singing_wav), dtype="float32")
    noise = (0.1 * np.random.default_rng(0).standard_normal(16000)).astype(np.float32)
    references = {
        "good": sung,
        "short": sung[:3000],  # 0.19 s at 16 kHz
        "silent": np.zeros(16000, np.float32),
        "unvoiced": noise,
    }
    for folder in ("_reference", "mine", "theirs"):
        (root / folder).mkdir(parents=True)
    for item, reference in references.items():
        context = root / "_context" / item
        context.mkdir(parents=True)
        (context / "melody.txt").write_text("60:0.5 62:0.5")
        soundfile.write(context / "source.wav", sung, 16000)
        soundfile.write(root / "_reference" / f"{item}.wav", reference, 16000)
        soundfile.write(root / "mine" / f"{item}.wav", sung, 16000)
        if item != "unvoiced":
            soundfile.write(root / "theirs" / f"{item}.wav", noise, 16000)
    out = str(tmp_path / "out")
    assert main(["--external", str(root), "--out", out, "--quiet", "--ppg", "none"]) == 0
    with open(os.path.join(out, "table.md"), encoding="utf-8") as handle:
        table = handle.read()
    problems = table.split("#### Problems")[1]
    assert "item short:" in problems and "0.19 s long" in problems
    assert "item silent: the true target" in problems and "silent" in problems
    assert "item unvoiced:" in problems and "no voiced frame" in problems
    assert "item unvoiced: system theirs has no output" in problems
    assert "item good" not in problems
    frame = pd.read_csv(os.path.join(out, "results.csv")).set_index(["system", "item"])
    assert len(frame) == 7
    assert frame.loc[("mine", "good"), "rpa"] == 1.0 and frame.loc[("mine", "good"), "lsd_icassp"] == 0
    for item in ("short", "silent"):
        assert math.isnan(frame.loc[("mine", item), "lsd_icassp"])  # scored without the unusable target
        assert not math.isnan(frame.loc[("mine", item), "rpa_notes"])
    assert math.isnan(frame.loc[("mine", "unvoiced"), "rpa"])
    assert not math.isnan(frame.loc[("mine", "unvoiced"), "lsd_icassp"])


def test_a_converter_row_can_carry_its_own_options_and_sing_the_true_singing_as_reference():
    from evaluation.benchmark.systems import converter_systems, split_variant
    from models.registry import default_registry

    assert split_variant("world-sts[reference_use=guide vocal; auto_octave=false]") == (
        "world-sts",
        {"reference_use": "guide vocal", "auto_octave": "false"},
    )
    with pytest.raises(ValueError, match="close the options"):
        split_variant("world-sts[auto_octave=false")
    rows = converter_systems(
        default_registry(),
        ["world-sts", "world-sts[reference_use=guide vocal]", "world-s2s"],
        {},
        melody_source="reference",
    )
    assert [row.name for row in rows] == [
        "world-sts ← reference",
        "world-sts[reference_use=guide vocal] ← reference",
        "world-s2s",  # singing→speech rows have no melody to take from a reference
    ]
    with pytest.raises(ValueError, match="is not one of melody only, guide vocal"):
        converter_systems(default_registry(), ["world-sts[reference_use=sideways]"], {})


def test_checkpoint_option_scores_a_candidate_checkpoint_in_place_of_the_bundled_one(tmp_path):
    from evaluation.benchmark.plan import with_checkpoints
    from models.registry import default_registry

    candidate = tmp_path / "candidate.pt"
    candidate.write_bytes(b"not read until the converter is built")
    registry = with_checkpoints(default_registry(), [f"parekh-mtl={candidate}"])
    assert registry.spec("parekh-mtl").checkpoint_path == str(candidate)
    assert (
        registry.spec("parekh-mse").checkpoint_path == default_registry().spec("parekh-mse").checkpoint_path
    )
    assert registry.names() == default_registry().names()
    both = with_checkpoints(default_registry(), [f"parekh-mtl@new={candidate}"])
    assert both.spec("parekh-mtl@new").checkpoint_path == str(candidate)
    assert both.spec("parekh-mtl").checkpoint_path == default_registry().spec("parekh-mtl").checkpoint_path
    for bad, message in (
        ("parekh-mtl", "write NAME=PATH"),
        (f"world-sts={candidate}", "takes no checkpoint"),
        ("parekh-mtl=/nowhere.pt", "no file at"),
        (f"parekh-mtl@={candidate}", "name the added row"),
    ):
        with pytest.raises(ValueError, match=message):
            with_checkpoints(default_registry(), [bad])
    assert main(["--real", "--checkpoint", "nobody=x.pt", "--out", str(tmp_path / "out")]) == 2
