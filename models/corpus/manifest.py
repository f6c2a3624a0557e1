"""The corpus manifest of ARCHITECTURE.md: JSONL, one line per pair, sorted by id, versioned.

Every corpus Songbridge trains or evaluates on — the Festival-made synthetic pairs, the real-voice
set, NUS-48E — is described by one of these files, so training and benchmark code reads one format.
Audio paths are relative to the manifest's folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field

from models.errors import SongbridgeError

MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.jsonl"
SPLITS = ("train", "valid", "test")

#: one phone interval: [start_s, end_s, PHONE]
PhoneSpan = tuple[float, float, str]
#: one note: [midi or None for a rest, onset_s, dur_s]
NoteSpan = tuple[int | None, float, float]


class ManifestError(SongbridgeError):
    """A manifest file that cannot be read as the documented format."""


@dataclass(frozen=True)
class Pair:
    """One manifest line. Singing fields are None for speech-only sets (the real-voice set)."""

    id: str
    split: str
    speaker: str
    base_voice: str
    text: str
    speech_wav: str
    singing_wav: str | None
    speech_phones: list[PhoneSpan]
    singing_phones: list[PhoneSpan] | None
    notes: list[NoteSpan]
    sample_rate: int
    sha256: dict[str, str]
    manifest_version: int = MANIFEST_VERSION
    #: free-form labels, e.g. {"speaker_kind": "unseen transform, seen base voice"}
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, row: dict, *, where: str = "manifest") -> Pair:
        version = row.get("manifest_version")
        if version != MANIFEST_VERSION:
            raise ManifestError(
                f"{where}: manifest_version {version!r} is not the supported version {MANIFEST_VERSION}; "
                "rebuild the corpus with this Songbridge version."
            )
        missing = [name for name in cls.__dataclass_fields__ if name not in row and name != "extra"]
        if missing:
            raise ManifestError(f"{where}: missing field(s) {', '.join(missing)}.")
        unknown = sorted(set(row) - set(cls.__dataclass_fields__))
        if unknown:
            raise ManifestError(f"{where}: unknown field(s) {', '.join(unknown)}.")
        if row["split"] not in SPLITS:
            raise ManifestError(f"{where}: split {row['split']!r} is not one of {', '.join(SPLITS)}.")
        row = dict(row)
        for key in ("speech_phones", "singing_phones"):
            if row[key] is not None:
                row[key] = [(float(a), float(b), str(p)) for a, b, p in row[key]]
        row["notes"] = [(None if m is None else int(m), float(o), float(d)) for m, o, d in row["notes"]]
        return cls(**row)


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(pairs: list[Pair], path: str) -> str:
    """Write ``pairs`` sorted by id; return the file's sha256 (the hash checkpoints record)."""
    ids = [pair.id for pair in pairs]
    if len(set(ids)) != len(ids):
        raise ManifestError("two pairs share an id; ids must be unique.")
    lines = [pair.to_json() for pair in sorted(pairs, key=lambda pair: pair.id)]
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + ("\n" if lines else ""))
    os.replace(tmp, path)
    return sha256_file(path)


def manifest_path(root: str) -> str:
    """Accept a corpus folder or the manifest file itself."""
    return os.path.join(root, MANIFEST_NAME) if os.path.isdir(root) else root


def read_manifest(root: str, *, split: str | None = None) -> list[Pair]:
    """The pairs of a corpus folder (or manifest file), optionally only one split."""
    path = manifest_path(root)
    if not os.path.isfile(path):
        raise ManifestError(f"No corpus manifest at {path}; build one with `python -m models.corpus build`.")
    pairs = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ManifestError(f"{path}:{number}: not JSON ({error.msg}).") from None
            pairs.append(Pair.from_dict(row, where=f"{path}:{number}"))
    if split is not None:
        if split not in SPLITS:
            raise ManifestError(f"split {split!r} is not one of {', '.join(SPLITS)}.")
        pairs = [pair for pair in pairs if pair.split == split]
    return pairs


def audio_path(root: str, relative: str) -> str:
    """Absolute path of a manifest's audio entry."""
    folder = os.path.dirname(manifest_path(root))
    return os.path.join(folder, relative)


def manifest_hash(root: str) -> str:
    return sha256_file(manifest_path(root))
