"""The NUS-48E loader on a small corpus written here in the distributed layout, with synthetic audio."""

from __future__ import annotations

import functools
import itertools
import os

import numpy as np
import pytest
import soundfile

from models.corpus import nus48e
from models.corpus.manifest import read_manifest, sha256_file
from models.corpus.pairing import DIFFER, TOO_SHORT, Side, pair_segments
from models.corpus.phones import PHONES, SILENCE, VOWELS, content_phones, merge_silences
from models.corpus.words import pronunciations, segment_words

SR = 44100
SUNG_MIDI = (60, 64, 67, 62, 65, 69, 71)

#: (sung, read) phrases per song; "|" is a pause (sil), "/" a short pause (sp) in the singing only
SONGS = {
    ("ADIZ", "18"): (
        "the morning light came | over the quiet / hills and fields | bring me home",
        "the morning light came | over the quiet hills and fields | bring me home",
    ),
    ("JLEE", "05"): (
        "i will sing for you | the stars are bright tonight | hello friend | we shall meet again",
        "i will sing for you | the stars were bright tonight | hello friend | we shall meet again",
    ),
}
MATCHED = {
    ("ADIZ", "18"): ["the morning light came", "over the quiet hills and fields", "bring me home"],
    ("JLEE", "05"): ["i will sing for you", "we shall meet again"],
}


@functools.lru_cache(maxsize=1)
def _spelling() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for phones, words in pronunciations().items():
        for word in words:
            table.setdefault(word, phones)
    return table


def _labels(phrases: str) -> list[str]:
    spell, labels = _spelling(), ["sil"]
    for token in phrases.split():
        if token in "|/":
            labels.append("sil" if token == "|" else "sp")
        else:
            labels += [p.lower() for p in spell[token]]
    return [*labels, "sil"]


def _render(labels: list[str], *, sung: bool, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """Harmonic tones for vowels (sung: the notes of SUNG_MIDI in turn), noise for consonants."""
    pieces, lines, t, vowel = [], [], 0.0, 0
    for label in labels:
        phone = label.upper()
        if label in ("sil", "sp"):
            dur = 0.12 if label == "sil" else 0.08
            x = 1e-4 * rng.standard_normal(int(dur * SR))
        elif phone in VOWELS:
            dur = 0.12 if sung else 0.07
            hz = 440 * 2 ** ((SUNG_MIDI[vowel % len(SUNG_MIDI)] - 69) / 12) if sung else 130.0
            vowel += 1
            time = np.arange(int(dur * SR)) / SR
            x = sum(0.3 / k * np.sin(2 * np.pi * k * hz * time) for k in range(1, 6))
        else:
            dur = 0.04
            x = 0.05 * rng.standard_normal(int(dur * SR))
        pieces.append(x)
        lines.append(f"{t:.6f} {t + len(x) / SR:.6f} {label}")
        t += len(x) / SR
    return np.concatenate(pieces).astype(np.float32), lines


def _write_song(root: str, singer: str, number: str, sung: str, read: str, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for part, phrases in (("sing", sung), ("read", read)):
        folder = os.path.join(root, singer, part)
        os.makedirs(folder, exist_ok=True)
        audio, lines = _render(_labels(phrases), sung=part == "sing", rng=rng)
        soundfile.write(os.path.join(folder, f"{number}.wav"), audio, SR, subtype="PCM_16")
        with open(os.path.join(folder, f"{number}.txt"), "w") as handle:
            handle.write("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("nus48e"))
    for i, ((singer, number), (sung, read)) in enumerate(SONGS.items()):
        _write_song(root, singer, number, sung, read, seed=i)
    with open(os.path.join(root, "README.txt"), "w") as handle:
        handle.write("files at the root are ignored\n")
    out = str(tmp_path_factory.mktemp("out"))
    report = nus48e.build_nus48e(root, out, seed=0, progress=False)
    return report, out, read_manifest(out)


def test_report_counts_matched_and_dropped(built):
    report, _, pairs = built
    assert report.songs == 2
    assert report.segments_matched == len(pairs) == sum(map(len, MATCHED.values()))
    assert report.segments_dropped == {DIFFER: 1, TOO_SHORT: 1}
    assert report.singing_minutes > report.speech_minutes > 0
    assert "5 segments matched" in report.summary()


def test_pairs_are_the_matched_segments_with_recovered_words(built):
    _, _, pairs = built
    found = {}
    for pair in pairs:
        found.setdefault(tuple(pair.extra["song"].split("/")), []).append(pair.text)
    assert found == MATCHED
    for pair in pairs:
        assert len(pair.text.split()) >= 3
        assert pair.speaker == pair.base_voice == pair.extra["song"].split("/")[0]
        assert pair.extra["notes_from"] == "F0 of the sung recording"


def test_phones_times_and_files(built):
    _, out, pairs = built
    for pair in pairs:
        assert pair.sample_rate == nus48e.SAMPLE_RATE == 22050
        assert content_phones(pair.speech_phones) == content_phones(pair.singing_phones)
        words = segment_words(content_phones(pair.speech_phones))
        assert [w.text for w in words] == pair.text.split()
        for field, phones in (("speech_wav", pair.speech_phones), ("singing_wav", pair.singing_phones)):
            path = os.path.join(out, getattr(pair, field))
            assert sha256_file(path) == pair.sha256[field]
            info = soundfile.info(path)
            assert info.samplerate == 22050
            assert {p for _, _, p in phones} <= set(PHONES)
            assert phones[0][0] == 0 and phones[-1][1] <= info.duration + 1e-6
            assert all(a < b <= c for (a, b, _), (c, _, _) in itertools.pairwise(phones))
            # the cut keeps a margin of the bordering silence, no more
            assert phones[0][2] == SILENCE and phones[0][1] == pytest.approx(nus48e.MARGIN_S, abs=1e-3)
    merged = next(p for p in pairs if p.text.startswith("over"))
    assert [p for _, _, p in merged.singing_phones].count(SILENCE) == 3  # the sung-only short pause
    assert [p for _, _, p in merged.speech_phones].count(SILENCE) == 2


def test_notes_follow_the_sung_pitch(built):
    _, _, pairs = built
    for pair in pairs:
        vowels = [(a, b) for a, b, p in pair.singing_phones if p in VOWELS]
        timing = [t for _, onset, dur in pair.notes for t in (onset, dur)]
        assert timing == pytest.approx([t for a, b in vowels for t in (a, b - a)], abs=1e-4)
        assert {midi for midi, _, _ in pair.notes} <= set(SUNG_MIDI)


def test_splits_keep_songs_whole_and_hold_out_the_paper_test_song(built):
    _, _, pairs = built
    split_of = {p.extra["song"]: p.split for p in pairs}
    assert all(p.split == split_of[p.extra["song"]] for p in pairs)
    assert split_of == {"ADIZ/18": "test", "JLEE/05": "train"}


def test_splits_group_shared_songs_and_are_seeded():
    songs = [f"{s}/{n:02d}" for s in ("ADIZ", "JLEE", "SAMF") for n in range(1, 8)]
    a = nus48e.assign_splits(songs, [{"ADIZ/01", "JLEE/02"}], seed=3)
    assert a == nus48e.assign_splits(songs, [{"ADIZ/01", "JLEE/02"}], seed=3)
    for n in range(1, 8):  # one number is one song for every singer
        assert len({a[f"{s}/{n:02d}"] for s in ("ADIZ", "JLEE", "SAMF")}) == 1
    assert a["ADIZ/01"] == a["JLEE/02"]
    assert {"train", "valid", "test"} == set(a.values())


def _mutate(root: str, change: str) -> None:
    sing = os.path.join(root, "ADIZ", "sing")
    if change == "rate":
        soundfile.write(os.path.join(sing, "01.wav"), np.zeros(22050, np.float32), 22050)
    elif change in ("line", "phone", "order"):
        with open(os.path.join(sing, "01.txt")) as handle:
            lines = handle.read().splitlines()
        lines[2] = {"line": "0.3 x sil", "phone": "0.3 0.4 ax", "order": "0.0 0.05 dh"}[change]
        with open(os.path.join(sing, "01.txt"), "w") as handle:
            handle.write("\n".join(lines))
    elif change == "txt":
        os.remove(os.path.join(root, "ADIZ", "read", "01.txt"))
    elif change == "folder":
        os.makedirs(os.path.join(root, "ADIZZ", "sing"))
    elif change == "read":
        for name in ("01.wav", "01.txt"):
            os.remove(os.path.join(root, "ADIZ", "read", name))
        os.rmdir(os.path.join(root, "ADIZ", "read"))


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ("rate", "ADIZ/sing/01.wav", "expected 44100 Hz audio, found 22050 Hz"),
        ("line", "ADIZ/sing/01.txt:3", "expected `start end phone` (seconds), found '0.3 x sil'"),
        ("phone", "ADIZ/sing/01.txt:3", "expected a lowercase CMU phone, sil or sp, found 'ax'"),
        ("order", "ADIZ/sing/01.txt:3", "expected a start at or after"),
        ("txt", "ADIZ/read/01.wav", "expected 01.txt beside it, found none"),
        ("folder", "ADIZZ", "expected a singer folder (ADIZ JLEE"),
        ("read", "ADIZ/read", "expected a folder with NN.wav and NN.txt files, found none"),
    ],
)
def test_layout_errors_say_what_was_expected_and_found(tmp_path, change, path, message):
    root = str(tmp_path / "corpus")
    _write_song(root, "ADIZ", "01", "bring me home", "bring me home")
    _mutate(root, change)
    with pytest.raises(nus48e.NusError) as caught:
        nus48e.build_nus48e(root, str(tmp_path / "out"), progress=False)
    assert str(caught.value).startswith(os.path.join(root, path) + ": ")
    assert message in str(caught.value)


def test_main_prints_the_error_not_a_traceback(tmp_path, capsys):
    assert nus48e.main(["--root", str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert "expected the NUS-48E folder" in capsys.readouterr().err


def test_words_prefer_fewer_and_likelier_words_and_refuse_non_words():
    spell = _spelling()
    phones = [p for word in ("away", "from", "home") for p in spell[word]]
    assert [w.text for w in segment_words(phones)] == ["away", "from", "home"]
    assert segment_words(["NG", "NG", "ZH"]) is None
    assert segment_words([]) is None


def _side(phrases: str) -> Side:
    """Phones of 0.1 s each; "|" is a pause."""
    spans, t = [], 0.0
    for label in _labels(phrases):
        spans.append((t, t + 0.1, "SIL" if label in ("sil", "sp") else label.upper()))
        t += 0.1
    return Side(merge_silences(spans))


@pytest.mark.parametrize(
    ("sung", "read", "matched", "dropped"),
    [
        # a line sung twice but read once: the extra one is dropped, the rest still pairs
        (
            "twinkle little star | how i wonder what you are | twinkle little star",
            "how i wonder what you are | twinkle little star",
            ["how i wonder what you are", "twinkle little star"],
            {DIFFER: 1},
        ),
        # pauses in different places: one segment from the first pause shared to the next
        (
            "up above the world so high | like a diamond in the sky",
            "up above the world | so high like a diamond in the sky",
            ["up above the world so high like a diamond in the sky"],
            {},
        ),
        # no pause between an extra word and the shared line on the sung side: nothing to cut there
        (
            "yeah when the night has come | and the land is dark",
            "when the night has come | and the land is dark",
            ["and the land is dark"],
            {DIFFER: 1},
        ),
        (
            "hello friend | we shall meet again",
            "hello friend | we shall meet again",
            ["we shall meet again"],
            {TOO_SHORT: 1},
        ),
    ],
)
def test_pairing_cuts_only_where_both_recordings_pause(sung, read, matched, dropped):
    segments, found = pair_segments(_side(sung), _side(read))
    assert [" ".join(s.words) for s in segments] == matched
    assert found == dropped
