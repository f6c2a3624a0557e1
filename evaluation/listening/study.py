"""A study file (YAML): read it, check every key, fill the defaults, and hash what was read.

Every problem is reported as ``key: what is wrong`` so a researcher can fix the file without reading code.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from models.errors import SongbridgeError

TYPES = ("preference", "mos", "arena")
#: the types whose trials compare two clips (an arena is an open, public preference study)
PAIRWISE = ("preference", "arena")
DEFAULT_ATTRIBUTES = {
    "intelligibility": "In which clip are the lyrics easier to understand?",
    "naturalness": "Which clip sounds more natural?",
    "melody": "Which clip follows the target melody (the reference tone) more closely?",
    "speaker": "Which clip sounds more like the speaker of the source recording?",
}
MOS_QUESTION = "How natural does this clip sound? (1 = bad … 5 = excellent)"
ARENA_QUESTION = "Which clip sounds better?"
ARENA_CONSENT = (
    "Listen to two anonymous conversions of the same input and vote for the better one; the systems' names "
    "are shown after your vote. Votes are stored anonymously and used for research and the public leaderboard."
)
ARENA_UPLOAD_CONSENT = (
    "If you upload a recording of your voice, it is stored with its two conversions and your vote for this "
    "study; the researchers delete it with the study's data."
)
#: an arena's own settings: a system enters the leaderboard's ranking once it has this many decisive votes;
#: ``uploads``: a visitor may also vote on two systems' conversions of their own recording (uploads.py)
DEFAULT_ARENA = {"min_votes": 20, "uploads": False}
DEFAULT_QUESTIONS = {
    "headphones": "What are you listening with? (headphones / earbuds / loudspeakers)",
    "native_language": "What is your native language?",
    "musical_training": "How many years of musical training (instrument or voice) have you had?",
}
DEFAULT_CONSENT = (
    "You are invited to a listening test of about 15 minutes. Your answers are stored anonymously and "
    "used for research. You can stop at any time. Please wear headphones in a quiet room."
)
DEFAULT_SCREENING = {"max_failed_catch": 1, "flag_straight_lining": True, "min_listen_ratio": 1.0}
#: screening rules a study file may set that are not in every study's hash (added later; the default
#: lives with the rule in evaluation/listening/analysis.py)
OPTIONAL_SCREENING = ("max_listeners_per_network",)
#: who may take part: new participants per network address per hour (a lab behind one address raises it);
#: the query parameter that carries a recruiting platform's participant id (one participation per id);
#: where to send a participant who finished ({code} is replaced by the completion code); the headphone
#: check (Woods et al. 2017) before the trials
DEFAULT_PARTICIPANTS = {
    "per_address_per_hour": 5, "external_id": None, "completion_url": None, "headphone_check": False,
}  # fmt: skip
_PARAM = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
MAX_STUDY_FILE_BYTES = 1_000_000
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
KNOWN_KEYS = {
    "id", "title", "type", "attributes", "systems", "items", "stimuli", "trials_per_listener",
    "catch_rate", "screening", "consent", "questions", "seed", "sample_rate", "loudness_lufs", "participants",
    "arena",
}  # fmt: skip


class StudyError(SongbridgeError, ValueError):
    """The study file cannot be used; the message names every bad key."""


@dataclass(frozen=True)
class Generate:
    """``stimuli.generate``: run registered converters (options by field name) over per-item inputs."""

    converters: dict[str, dict[str, Any]]
    items: dict[str, dict[str, str]]  # item -> {"source": path, "melody": path}
    output: str  # folder the outputs are written to, in the shared layout


@dataclass(frozen=True)
class Study:
    id: str
    title: str
    type: str
    attributes: dict[str, str]
    systems: tuple[str, ...]
    items: tuple[str, ...]  # empty: every item found in the folder
    folder: str | None
    generate: Generate | None
    trials_per_listener: int
    catch_rate: float
    screening: dict[str, Any]
    participants: dict[str, Any]
    arena: dict[str, Any]  # the arena's settings (DEFAULT_ARENA); empty for the other types
    consent: str
    questions: dict[str, str]
    seed: int
    sample_rate: int
    loudness_lufs: float
    hash: str
    source_text: str = field(repr=False, default="")

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Unordered system pairs in a fixed order (the file's order of systems)."""
        s = self.systems
        return [(s[i], s[j]) for i in range(len(s)) for j in range(i + 1, len(s))]


def load_study(*, path: str) -> Study:
    """Read and validate a study file; raises :class:`StudyError` listing every bad key."""
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as error:
        raise StudyError(f"Cannot read the study file {path}: {error.strerror}.") from None
    if len(text.encode()) > MAX_STUDY_FILE_BYTES:
        raise StudyError(
            f"{path} is over {MAX_STUDY_FILE_BYTES // 1000} kB; a study file is a page of settings."
        )
    try:
        data = yaml.load(text, Loader=_no_alias_loader())  # a SafeLoader without aliases
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise StudyError(f"{path} is not valid YAML{line}: {getattr(error, 'problem', error)}.") from None
    return parse_study(data=data, base_dir=os.path.dirname(os.path.abspath(path)), source_text=text)


def _no_alias_loader():
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        """YAML without anchors' aliases: nine nested aliases in 577 bytes (a "billion laughs") expand to
        gigabytes when read; a study file never needs them."""

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, "aliases (*name) are not allowed in a study file; write the value out", mark
                )
            return super().compose_node(parent, index)

    return NoAliasLoader


def parse_study(*, data: Any, base_dir: str, source_text: str = "") -> Study:
    """Validate a parsed YAML mapping; relative paths are taken from ``base_dir``."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise StudyError(
            "The study file must be a mapping of keys (id:, title:, type:, …), not a list or text."
        )
    for key in sorted(set(data) - KNOWN_KEYS, key=str):
        errors.append(f"{key}: unknown key (known: {', '.join(sorted(KNOWN_KEYS))})")

    def want(key: str, kind: type | tuple, default: Any = ..., what: str = "") -> Any:
        if key not in data:
            if default is ...:
                errors.append(f"{key}: missing ({what})")
                return None
            return default
        value = data[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            errors.append(f"{key}: must be {what}, got {value!r}")
            return None
        if not isinstance(value, kind):
            errors.append(f"{key}: must be {what}, got {value!r}")
            return None
        return value

    study_id = want("id", str, what="a short name of lowercase letters, digits, - and _")
    if study_id is not None and not _ID.fullmatch(study_id):
        errors.append(f"id: {study_id!r} must be 1–64 lowercase letters, digits, - or _")
    title = want("title", str, what="text")
    kind = want("type", str, what="'preference', 'mos' or 'arena'")
    if kind is not None and kind not in TYPES:
        errors.append(f"type: {kind!r} is not 'preference', 'mos' or 'arena'")
    attributes = _attributes(data.get("attributes"), kind, errors)
    systems = _names(want("systems", list, what="a list of system names"), "systems", errors)
    items = _names(want("items", list, [], what="a list of item names"), "items", errors)
    folder, generate = _stimuli(data.get("stimuli"), base_dir, errors)
    if generate is not None and systems:
        missing = [s for s in systems if s not in generate.converters]
        if missing:
            errors.append(
                f"stimuli.generate.converters: no converter given for system(s) {', '.join(missing)}"
            )
    if kind in PAIRWISE and systems is not None and len(systems) < 2:
        errors.append(
            f"systems: a{'n' if kind == 'arena' else ''} {kind} study compares at least two systems"
        )
    elif systems is not None and not systems:
        errors.append("systems: name at least one system")
    trials = want("trials_per_listener", int, 12, "a positive whole number")
    if trials is not None and not 1 <= trials <= 500:
        errors.append(f"trials_per_listener: {trials} is outside 1–500")
    catch = want("catch_rate", (int, float), 0.1, "a share between 0 and 0.5")
    if catch is not None and not 0 <= catch <= 0.5:
        errors.append(f"catch_rate: {catch} is outside 0–0.5")
    screening = want("screening", dict, {}, "a mapping")
    for key in sorted(set(screening or {}) - set(DEFAULT_SCREENING) - set(OPTIONAL_SCREENING), key=str):
        errors.append(f"screening.{key}: unknown rule (known: {', '.join(DEFAULT_SCREENING)})")
    _screening(screening or {}, errors)
    participants = _participants(want("participants", dict, {}, "a mapping"), errors)
    consent = want("consent", str, ARENA_CONSENT if kind == "arena" else DEFAULT_CONSENT, "text")
    # an arena is for any visitor: no questions unless the file asks them
    questions = _questions(data.get("questions", {} if kind == "arena" else None), errors)
    arena = _arena(data.get("arena"), kind, errors)
    if kind == "arena" and len(attributes) > 1:
        errors.append("attributes: an arena asks one question (its board ranks the systems on it)")
    if kind == "arena" and arena.get("uploads") and "consent" not in data:
        consent += " " + ARENA_UPLOAD_CONSENT
    seed = want("seed", int, 0, "a whole number of 0 or more")
    if seed is not None and seed < 0:
        errors.append(f"seed: {seed} is negative; use a whole number of 0 or more")
    sample_rate = want("sample_rate", int, 22050, "a sample rate in Hz")
    if sample_rate is not None and not 8000 <= sample_rate <= 48000:
        errors.append(f"sample_rate: {sample_rate} is outside 8000–48000 Hz")
    lufs = want("loudness_lufs", (int, float), -23.0, "a loudness in LUFS such as -23")
    if lufs is not None and not -40 <= lufs <= -10:
        errors.append(f"loudness_lufs: {lufs} is outside −40…−10 LUFS")
    if items and systems and trials and kind in TYPES:
        cells = len(items) * (len(systems) * (len(systems) - 1) // 2 if kind in PAIRWISE else len(systems))
        if trials > cells:
            errors.append(
                f"trials_per_listener: {trials} is more than the {cells} item × system "
                f"{'pair' if kind in PAIRWISE else ''} conditions; a listener would hear one twice"
            )
    if errors:
        raise StudyError("The study file has problems — " + "; ".join(errors) + ".")
    normal = {
        "id": study_id, "title": title, "type": kind, "attributes": attributes, "systems": systems,
        "items": items, "folder": folder, "trials_per_listener": trials, "catch_rate": float(catch),
        "screening": {**DEFAULT_SCREENING, **screening}, "consent": consent, "questions": questions,
        "seed": seed, "sample_rate": sample_rate, "loudness_lufs": float(lufs),
        "generate": None if generate is None else generate.__dict__,
    }  # fmt: skip
    if "participants" in data:  # only when given: the hashes of older study files stay as they were
        normal["participants"] = participants
    if arena:
        normal["arena"] = arena
    digest = hashlib.sha256(json.dumps(normal, sort_keys=True).encode()).hexdigest()[:16]
    return Study(
        id=study_id, title=title, type=kind, attributes=attributes, systems=tuple(systems),
        items=tuple(items), folder=folder, generate=generate, trials_per_listener=trials,
        catch_rate=float(catch), screening=normal["screening"], participants=participants, arena=arena,
        consent=consent,
        questions=questions,
        seed=seed, sample_rate=sample_rate, loudness_lufs=float(lufs), hash=digest, source_text=source_text,
    )  # fmt: skip


def _names(value: Any, key: str, errors: list[str]) -> list[str] | None:
    if value is None:
        return None
    out = []
    for i, name in enumerate(value):
        if not isinstance(name, str | int) or not _NAME.fullmatch(str(name)) or str(name).startswith("_"):
            errors.append(
                f"{key}[{i}]: {name!r} must be a name of letters, digits, . - _ (not starting with _)"
            )
        else:
            out.append(str(name))
    if len(set(out)) != len(out):
        errors.append(f"{key}: names repeat")
    return out


def _screening(rules: dict, errors: list[str]) -> None:
    """Each rule's type: a failed analysis after the study has run is too late to find a typo."""
    count = rules.get("max_failed_catch", 0)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        errors.append(f"screening.max_failed_catch: must be a whole number of 0 or more, got {count!r}")
    if not isinstance(rules.get("flag_straight_lining", True), bool):
        errors.append(
            f"screening.flag_straight_lining: must be true or false, got {rules['flag_straight_lining']!r}"
        )
    per_network = rules.get("max_listeners_per_network", 3)
    if isinstance(per_network, bool) or not isinstance(per_network, int) or per_network < 1:
        errors.append(
            f"screening.max_listeners_per_network: must be a whole number from 1, got {per_network!r}"
        )
    ratio = rules.get("min_listen_ratio", 1.0)
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 <= ratio <= 10:
        errors.append(f"screening.min_listen_ratio: must be a number from 0 to 10, got {ratio!r}")


def _participants(value: dict | None, errors: list[str]) -> dict[str, Any]:
    rules = {**DEFAULT_PARTICIPANTS, **(value or {})}
    for key in sorted(set(value or {}) - set(DEFAULT_PARTICIPANTS), key=str):
        errors.append(f"participants.{key}: unknown key (known: {', '.join(DEFAULT_PARTICIPANTS)})")
    cap = rules["per_address_per_hour"]
    if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= 100_000:
        errors.append(f"participants.per_address_per_hour: must be a whole number from 1, got {cap!r}")
    param = rules["external_id"]
    if param is not None and (not isinstance(param, str) or not _PARAM.fullmatch(param)):
        errors.append(
            f"participants.external_id: must name a query parameter such as PROLIFIC_PID, got {param!r}"
        )
    url = rules["completion_url"]
    if url is not None and (not isinstance(url, str) or not re.fullmatch(r"https?://[^\s<>\"']+", url)):
        errors.append(f"participants.completion_url: must be an http(s) address, got {url!r}")
    if not isinstance(rules["headphone_check"], bool):
        errors.append(
            f"participants.headphone_check: must be true or false, got {rules['headphone_check']!r}"
        )
    return rules


def _attributes(value: Any, kind: str | None, errors: list[str]) -> dict[str, str]:
    if value is None:
        if kind == "arena":
            return {"overall": ARENA_QUESTION}
        return {"naturalness": MOS_QUESTION} if kind == "mos" else dict(DEFAULT_ATTRIBUTES)
    if not isinstance(value, dict) or not value:
        errors.append("attributes: must be a mapping of attribute name to its question text")
        return {}
    out = {}
    for name, question in value.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            errors.append(f"attributes: {name!r} is not a valid attribute name")
        elif not isinstance(question, str) or not question.strip():
            errors.append(f"attributes.{name}: the question text is missing")
        else:
            out[name] = question.strip()
    return out


def _arena(value: Any, kind: str | None, errors: list[str]) -> dict[str, Any]:
    """``arena:`` settings (only for ``type: arena``): ``min_votes`` before a system is ranked, and
    ``uploads`` (a visitor's own recording converted by two of the systems)."""
    if kind != "arena":
        if value is not None:
            errors.append("arena: only a study of type 'arena' has arena settings")
        return {}
    if value is None:
        return dict(DEFAULT_ARENA)
    if not isinstance(value, dict):
        errors.append("arena: must be a mapping (min_votes: 20, uploads: false)")
        return {}
    for key in sorted(set(value) - set(DEFAULT_ARENA), key=str):
        errors.append(f"arena.{key}: unknown setting (known: {', '.join(DEFAULT_ARENA)})")
    votes = value.get("min_votes", DEFAULT_ARENA["min_votes"])
    if isinstance(votes, bool) or not isinstance(votes, int) or not 1 <= votes <= 100_000:
        errors.append(f"arena.min_votes: {votes!r} is not a whole number of 1 or more")
        return {}
    uploads = value.get("uploads", DEFAULT_ARENA["uploads"])
    if not isinstance(uploads, bool):
        errors.append(f"arena.uploads: {uploads!r} is not true or false")
        return {}
    return {"min_votes": votes, "uploads": uploads}


def _questions(value: Any, errors: list[str]) -> dict[str, str]:
    if value is None:
        return dict(DEFAULT_QUESTIONS)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        unknown = [v for v in value if v not in DEFAULT_QUESTIONS]
        if unknown:
            errors.append(f"questions: {', '.join(unknown)} not built in; give a mapping name: question text")
        return {v: DEFAULT_QUESTIONS[v] for v in value if v in DEFAULT_QUESTIONS}
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    errors.append("questions: must be a list of built-in names or a mapping name: question text")
    return {}


def _stimuli(value: Any, base_dir: str, errors: list[str]) -> tuple[str | None, Generate | None]:
    if not isinstance(value, dict) or not ({"folder", "generate"} & set(value)):
        errors.append("stimuli: missing; give `folder: PATH` (the shared layout) or a `generate:` block")
        return None, None
    for key in sorted(set(value) - {"folder", "generate"}):
        errors.append(f"stimuli.{key}: unknown key (use folder or generate)")
    resolve = lambda p: p if os.path.isabs(p) else os.path.normpath(os.path.join(base_dir, p))  # noqa: E731
    if "generate" not in value:
        folder = value["folder"]
        if not isinstance(folder, str):
            errors.append(f"stimuli.folder: must be a path, got {folder!r}")
            return None, None
        if not os.path.isdir(resolve(folder)):
            errors.append(f"stimuli.folder: {resolve(folder)} is not a folder")
        return resolve(folder), None
    gen = value["generate"]
    if not isinstance(gen, dict):
        errors.append("stimuli.generate: must be a mapping with converters: and items:")
        return None, None
    converters = gen.get("converters")
    if not isinstance(converters, dict) or not converters:
        errors.append(
            "stimuli.generate.converters: must map converter names to their options ({} for defaults)"
        )
        converters = {}
    converters = {
        str(k): dict(v or {}) if isinstance(v, dict | type(None)) else {} for k, v in converters.items()
    }
    items = gen.get("items")
    if not isinstance(items, dict) or not items:
        errors.append("stimuli.generate.items: must map item names to {source: FILE, melody: FILE}")
        items = {}
    checked: dict[str, dict[str, str]] = {}
    for item, files in items.items():
        if not isinstance(files, dict) or "source" not in files:
            errors.append(f"stimuli.generate.items.{item}: needs source: (and melody: for speech→singing)")
            continue
        checked[str(item)] = {}
        for key in ("source", "melody"):
            if key in files:
                path = resolve(str(files[key]))
                if not os.path.isfile(path):
                    errors.append(f"stimuli.generate.items.{item}.{key}: {path} does not exist")
                checked[str(item)][key] = path
    output = resolve(str(value.get("folder") or gen.get("output") or "generated"))
    return output, Generate(converters=converters, items=checked, output=output)
