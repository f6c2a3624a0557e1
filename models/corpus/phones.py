"""The phone set of every manifest: the 39 CMU phones plus SIL, with the fixed mappings of ARCHITECTURE.md."""

from __future__ import annotations

from models.errors import SongbridgeError

CMU_PHONES = [
    "AA",
    "AE",
    "AH",
    "AO",
    "AW",
    "AY",
    "B",
    "CH",
    "D",
    "DH",
    "EH",
    "ER",
    "EY",
    "F",
    "G",
    "HH",
    "IH",
    "IY",
    "JH",
    "K",
    "L",
    "M",
    "N",
    "NG",
    "OW",
    "OY",
    "P",
    "R",
    "S",
    "SH",
    "T",
    "TH",
    "UH",
    "UW",
    "V",
    "W",
    "Y",
    "Z",
    "ZH",
]
SILENCE = "SIL"
PHONES = (*CMU_PHONES, SILENCE)
VOWELS = frozenset(["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"])

#: Festival's (radio phoneset) names that are not already CMU phones
FESTIVAL_TO_CMU = {
    "ax": "AH",
    "axr": "ER",
    "dx": "D",
    "el": "L",
    "em": "M",
    "en": "N",
    "hv": "HH",
    "nx": "N",
    "ix": "IH",
    "ux": "UW",
    "pau": SILENCE,
    "h#": SILENCE,
    "brth": SILENCE,
}
NUS48E_TO_CMU = {"sil": SILENCE, "sp": SILENCE}


class PhoneError(SongbridgeError):
    """A phone label outside the known sets."""


def _map(label: str, table: dict[str, str], source: str) -> str:
    key = label.strip().lower()
    if key in table:
        return table[key]
    upper = key.upper().rstrip("012")  # CMU dictionary stress digits
    if upper in CMU_PHONES:
        return upper
    raise PhoneError(f"{source} phone {label!r} is not in the CMU set or the fixed mapping.")


def from_festival(label: str) -> str:
    return _map(label, FESTIVAL_TO_CMU, "Festival")


def from_nus48e(label: str) -> str:
    return _map(label, NUS48E_TO_CMU, "NUS-48E")


def from_cmudict(label: str) -> str:
    """pocketsphinx/CMU dictionary phones (stress digits dropped; SIL and +noise+ fillers to SIL)."""
    if label.upper() == "SIL" or label.startswith("+"):
        return SILENCE
    return _map(label, {}, "CMU dictionary")


def merge_silences(spans: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Join neighbouring SIL intervals (Festival writes pau pau; NUS-48E writes sil sp)."""
    merged: list[tuple[float, float, str]] = []
    for start, end, phone in spans:
        if merged and phone == SILENCE and merged[-1][2] == SILENCE:
            merged[-1] = (merged[-1][0], end, SILENCE)
        else:
            merged.append((start, end, phone))
    return merged


def content_phones(spans: list[tuple[float, float, str]]) -> list[str]:
    """The phone sequence without silences: what must match between speech and singing."""
    return [phone for _, _, phone in spans if phone != SILENCE]


def phone_sequence(phones: list[str]) -> list[str]:
    """SIL removed and repeats merged: what phone error rates compare, since a frame-wise recognizer cannot
    tell "N N" (in New) from one long N."""
    out: list[str] = []
    for phone in phones:
        if phone != SILENCE and (not out or out[-1] != phone):
            out.append(phone)
    return out
