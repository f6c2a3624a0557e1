"""What the benchmark scores: items from a corpus split, the real-voice set, or an outside folder."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field

import numpy as np

from evaluation.metrics import as_notes, pitch_track
from models.corpus.manifest import Pair, audio_path, manifest_path, read_manifest
from models.errors import SongbridgeError
from models.features import Audio, load_audio
from models.melody import Melody, Note, from_midi, from_recording, parse_note_text

#: where the committed real-voice set lives (same manifest format; singing_wav is WORLD-sung, input only)
REAL_VOICE_MANIFEST = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "real_voice", "manifest.jsonl"
)
LONG = 120.0  # seconds; corpus and outside files may be longer than an upload


def _load(path: str) -> Audio:
    from models.features import AudioLimits

    return load_audio(path, limits=AudioLimits(min_seconds=0.05, max_seconds=LONG))


@dataclass
class Item:
    """One scored unit. ``singing_is_reference`` is False where the singing is only an input (real set)."""

    id: str
    text: str
    notes: list[Note]
    speech: Audio | None
    singing: Audio | None
    singing_is_reference: bool
    speech_is_reference: bool
    speech_phones: list[str] | None = None
    #: the words' language: pocketsphinx and the phone recognizer judge English only
    language: str = "en"
    #: outside systems only: {system name: output audio path}
    outputs: dict[str, str] = field(default_factory=dict)
    #: per-item results every system reuses (the reference's mel-cepstra, the input's speaker embedding)
    cache: dict = field(default_factory=dict, repr=False)

    def cached(self, key: str, compute):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    @property
    def melody(self) -> Melody:
        return Melody(tuple(self.notes), name=self.id)

    def singing_track(self):
        """The accurate F0 track of the item's singing (:func:`evaluation.metrics.pitch_track`), once."""
        return self.cached("singing F0", lambda: pitch_track(self.singing))

    def reference_melody(self) -> Melody:
        """The item's singing read as a reference recording (its contour kept, "follow exactly"): the true
        singing where there is one (the papers' setting, where the converter is given the target singer's
        F0), else a sung version of the same words that is only an input (the real-voice set's WORLD-sung
        takes); the notes where there is neither."""
        if self.singing is None:
            return self.melody
        return self.cached("reference melody", lambda: from_recording(self.singing))


def _from_pair(root: str, pair: Pair, *, reference: bool) -> Item:
    singing = pair.singing_wav
    return Item(
        id=pair.id,
        text=pair.text,
        notes=as_notes(pair.notes),
        speech=_load(audio_path(root, pair.speech_wav)),
        singing=_load(audio_path(root, singing)) if singing else None,
        singing_is_reference=reference and singing is not None,
        speech_is_reference=reference,
        speech_phones=[p for _, _, p in pair.speech_phones if p != "SIL"] if pair.speech_phones else None,
        language=pair.extra.get("language", "en"),
    )


def corpus_items(root: str, *, split: str, limit: int | None = None) -> list[Item]:
    """The pairs of one split: true singing and true speech are both references."""
    pairs = read_manifest(root, split=split)[:limit]
    return [_from_pair(root, pair, reference=True) for pair in pairs]


def real_items(manifest: str = REAL_VOICE_MANIFEST, *, limit: int | None = None) -> list[Item]:
    """The real-voice set, every split: real speech (its own input), its WORLD-sung version (an input of
    singing→speech converters only, never a reference), text and notes; scored reference-free."""
    pairs = read_manifest(manifest)[:limit]
    root = manifest_path(manifest)
    return [_from_pair(root, pair, reference=False) for pair in pairs]


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _melody(context: str) -> list[Note]:
    for name, reader in (
        ("melody.txt", lambda p: parse_note_text(_read_text(p), name="melody.txt")),
        ("melody.mid", from_midi),
        ("melody.wav", lambda p: from_recording(_load(p))),
    ):
        path = os.path.join(context, name)
        if os.path.isfile(path):
            return list(reader(path).notes)
    return []


#: a true target shorter than this cannot be scored frame by frame (a few pitch frames, no LSD band)
MIN_REFERENCE_S = 0.3


def _try_load(path: str, what: str, item_id: str, problems: list[str]) -> Audio | None:
    """The audio at ``path``, or None with a message naming the item when it is missing or unreadable."""
    if not os.path.isfile(path):
        return None
    try:
        return _load(path)
    except SongbridgeError as error:
        problems.append(f"item {item_id}: {what} {path} could not be read ({error}); left out.")
        return None


def _usable_reference(reference: Audio | None, path: str, item_id: str, problems: list[str]) -> Audio | None:
    """The true target if it can be scored; else None, with the reason named."""
    if reference is None:
        return None
    if reference.duration < MIN_REFERENCE_S:
        problems.append(
            f"item {item_id}: the true target {path} is {reference.duration:.2f} s long; at least "
            f"{MIN_REFERENCE_S} s is needed, so the item is scored without it (no LSD, MCD or RCA/RPA)."
        )
        return None
    if float(np.max(np.abs(reference.samples))) < 1e-4:
        problems.append(
            f"item {item_id}: the true target {path} is silent; the item is scored without it "
            "(no LSD, MCD or RCA/RPA)."
        )
        return None
    return reference


def external_items(root: str) -> tuple[list[Item], list[str], list[str]]:
    """Items of an outside folder laid out as ARCHITECTURE.md says, the system names found, and the
    problems met (each a sentence naming the item; the rest is still scored).

    ``ROOT/<system>/<item>.wav`` outputs; ``ROOT/_reference/<item>.wav`` the true target;
    ``ROOT/_context/<item>/source.wav`` the converter's input; ``melody.{txt,mid,wav}`` the target melody
    (its presence makes the item speech→singing, its absence singing→speech); ``text.txt`` the words
    (optional, a Songbridge addition: without it intelligibility is not scored).
    """
    if not os.path.isdir(root):
        raise FileNotFoundError(f"No folder at {root}: expected ROOT/<system>/<item>.wav.")
    systems = sorted(
        name
        for name in os.listdir(root)
        if not name.startswith("_") and os.path.isdir(os.path.join(root, name))
    )
    if not systems:
        raise FileNotFoundError(f"No system folders in {root}: expected ROOT/<system>/<item>.wav.")
    ids = sorted(
        {os.path.splitext(os.path.basename(p))[0] for s in systems for p in glob.glob(f"{root}/{s}/*.wav")}
    )
    items, problems = [], []
    for item_id in ids:
        context = os.path.join(root, "_context", item_id)
        source_path = os.path.join(context, "source.wav")
        reference_path = os.path.join(root, "_reference", f"{item_id}.wav")
        text_path = os.path.join(context, "text.txt")
        try:
            notes = _melody(context)
        except SongbridgeError as error:  # without it the item would pass for singing→speech: leave it out
            problems.append(f"item {item_id}: its melody in {context} could not be read ({error}); left out.")
            continue
        source = _try_load(source_path, "the source", item_id, problems)
        if source is None and not os.path.isfile(source_path):
            problems.append(f"item {item_id}: no {source_path}; speaker similarity is not scored.")
        reference = _try_load(reference_path, "the true target", item_id, problems)
        reference = _usable_reference(reference, reference_path, item_id, problems)
        singing_task = bool(notes)
        item = Item(
            id=item_id,
            text=_read_text(text_path).strip() if os.path.isfile(text_path) else "",
            notes=notes,
            speech=source if singing_task else reference,
            singing=reference if singing_task else source,
            singing_is_reference=singing_task and reference is not None,
            speech_is_reference=not singing_task and reference is not None,
        )
        if item.singing_is_reference and not item.singing_track().voiced.any():
            problems.append(
                f"item {item_id}: the true target {reference_path} has no voiced frame; RCA/RPA against "
                "it are left empty (LSD and MCD are scored)."
            )
        for system in systems:
            path = os.path.join(root, system, f"{item_id}.wav")
            if not os.path.isfile(path):
                problems.append(f"item {item_id}: system {system} has no output ({path}); left out.")
            else:
                item.outputs[system] = path
        items.append(item)
    return items, systems, problems
