"""Melodies: notes (MIDI pitch or rest, onset, duration in seconds) and their frame-wise F0 contour.

A melody comes from note text, a MIDI file, a reference singing or humming recording, or the built-in
library of public-domain tunes; :meth:`Melody.transposed` and :meth:`Melody.at_tempo` adjust it.

Note text grammar (whitespace separates tokens; case-insensitive note names)::

    melody   := [ "tempo=" BPM ":" ] token*
    token    := note "/" DIV ["."]        # scientific pitch, e.g. C4/4, F#3/8, Bb4/2. (dotted half)
              | "r/" DIV ["."]            # rest of that length
              | MIDI ":" SECONDS          # e.g. 60:0.5 (middle C for half a second)
              | "r:" SECONDS              # rest in seconds
    note     := letter ["#" | "b"] octave # C4 = MIDI 60 = 261.6 Hz, A4 = 440 Hz

DIV is the note value (4 = quarter, 8 = eighth, …); a quarter lasts 60 / BPM seconds (default 100 BPM).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from models.errors import MelodyError
from models.features import HIFIGAN_MEL, Audio, F0Track

DEFAULT_BPM = 100.0
#: the longest melody a converter accepts
MAX_MELODY_SECONDS = 60.0
LETTERS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


def midi_to_hz(midi: float | np.ndarray) -> float | np.ndarray:
    return 440.0 * 2 ** ((np.asarray(midi, dtype=np.float64) - 69) / 12)


def hz_to_midi(hz: float | np.ndarray) -> float | np.ndarray:
    return 69 + 12 * np.log2(np.asarray(hz, dtype=np.float64) / 440.0)


@dataclass(frozen=True)
class Note:
    midi: int | None  # None is a rest
    onset: float
    duration: float

    @property
    def end(self) -> float:
        return self.onset + self.duration


@dataclass(frozen=True)
class Melody:
    """Notes, and for a melody read from a recording also that recording's own F0 contour.

    ``recorded`` is the reference's F0 (Hz per frame, 0 where unvoiced) when the melody came from a
    recording and should be followed exactly; None for note text, MIDI and built-in tunes, and for a
    recording taken "as notes" (:meth:`as_notes`). Transpose and tempo apply to notes and contour alike.
    """

    notes: tuple[Note, ...]
    name: str = "melody"
    recorded: F0Track | None = field(default=None, compare=False, repr=False)
    #: the reference recording itself (kept for a guide-vocal alignment); its time axis is the contour's
    #: before any :meth:`at_tempo`
    recording: Audio | None = field(default=None, compare=False, repr=False)

    @property
    def duration(self) -> float:
        end = max((n.end for n in self.notes), default=0.0)
        if self.recorded is not None and len(self.recorded.times):
            end = max(end, float(self.recorded.times[-1]) + self.recorded.hop_s)
        return end

    @property
    def follows_contour(self) -> bool:
        """True when converters should sing :meth:`contour` as it is rather than the notes."""
        return self.recorded is not None

    @property
    def sung_notes(self) -> list[Note]:
        return [n for n in self.notes if n.midi is not None]

    def as_notes(self) -> Melody:
        """The same notes without the recorded contour (a reference taken "as notes")."""
        return replace(self, recorded=None, recording=None)

    def transposed(self, semitones: int) -> Melody:
        notes = tuple(n if n.midi is None else replace(n, midi=n.midi + int(semitones)) for n in self.notes)
        recorded = self.recorded
        if recorded is not None:
            recorded = F0Track(times=recorded.times, hz=recorded.hz * 2 ** (int(semitones) / 12))
        return replace(self, notes=notes, recorded=recorded)

    def at_tempo(self, factor: float) -> Melody:
        """``factor`` > 1 plays faster (every onset and duration divided by it)."""
        if not factor > 0:
            raise MelodyError(f"The tempo factor must be positive, got {factor}.")
        notes = tuple(replace(n, onset=n.onset / factor, duration=n.duration / factor) for n in self.notes)
        recorded = self.recorded
        if recorded is not None:
            recorded = F0Track(times=recorded.times / factor, hz=recorded.hz)
        return replace(self, notes=notes, recorded=recorded)

    def contour(self, hop_s: float = HIFIGAN_MEL.frame_seconds) -> F0Track:
        """F0 in Hz at ``times = i * hop_s`` over the melody's duration, 0 where unvoiced or resting: the
        recorded contour (log-F0 interpolated between voiced neighbours) when there is one, else the
        notes' step contour."""
        times = np.arange(int(np.ceil(self.duration / hop_s))) * hop_s
        if self.recorded is not None:
            return F0Track(times=times, hz=_resample_contour(self.recorded, times))
        hz = np.zeros_like(times)
        for note in self.sung_notes:
            hz[(times >= note.onset) & (times < note.end)] = midi_to_hz(note.midi)
        return F0Track(times=times, hz=hz)

    def validate(self, max_seconds: float = MAX_MELODY_SECONDS) -> Melody:
        """Refuse a melody without notes or longer than ``max_seconds``; returns it otherwise."""
        if not self.sung_notes:
            raise MelodyError(
                "The melody has no notes (only rests or nothing). Give at least one pitched note."
            )
        if self.duration > max_seconds:
            raise MelodyError(
                f"The melody lasts {self.duration:.1f} s; the limit is {max_seconds:g} s. "
                "Shorten it or raise the tempo."
            )
        if any(not (0 <= n.midi <= 127) for n in self.sung_notes):
            raise MelodyError("A note lies outside the MIDI range 0–127 after transposition. Transpose less.")
        return self


def _resample_contour(track: F0Track, times: np.ndarray) -> np.ndarray:
    """``track`` read at ``times``: voiced where the nearest source frame is voiced, the F0 interpolated
    in log frequency between voiced frames (so a vibrato keeps its shape at any hop)."""
    source_t, source_hz = np.asarray(track.times, float), np.asarray(track.hz, float)
    voiced = source_hz > 0
    if not voiced.any() or not len(times):
        return np.zeros(len(times))
    nearest = np.clip(np.round((times - source_t[0]) / track.hop_s).astype(int), 0, len(source_t) - 1)
    log_hz = np.interp(times, source_t[voiced], np.log(source_hz[voiced]))
    return np.where(voiced[nearest] & (times <= source_t[-1] + track.hop_s), np.exp(log_hz), 0.0)


def required(melody: Melody | None) -> Melody:
    """The validated melody a speech-to-singing converter was given, or a MelodyError saying it needs one."""
    if melody is None:
        raise MelodyError("This converter needs a target melody: choose a tune, type notes or upload MIDI.")
    return melody.validate()


def _sequence(pieces: list[tuple[int | None, float]], name: str) -> Melody:
    notes, t = [], 0.0
    for midi, seconds in pieces:
        notes.append(Note(midi, t, seconds))
        t += seconds
    return Melody(tuple(notes), name)


# ---------------------------------------------------------------------------------------------------------
# Note text

_NOTE = re.compile(r"^(?P<name>r|[a-g][#b]?-?\d)/(?P<div>\d+)(?P<dot>\.?)$", re.IGNORECASE)
_SECONDS = re.compile(r"^(?P<pitch>r|\d{1,3}):(?P<sec>\d*\.?\d+)$", re.IGNORECASE)
_TEMPO = re.compile(r"^tempo=(?P<bpm>\d*\.?\d+):?$", re.IGNORECASE)


def note_name_to_midi(name: str) -> int:
    """'C4' → 60, 'F#3' → 54, 'Bb4' → 70."""
    letter, rest = name[0].lower(), name[1:]
    accidental = 0
    if rest[:1] in {"#", "b"}:
        accidental = 1 if rest[0] == "#" else -1
        rest = rest[1:]
    return 12 * (int(rest) + 1) + LETTERS[letter] + accidental


def parse_note_text(text: str, *, name: str = "note text") -> Melody:
    """Parse the grammar in this module's docstring; a ``MelodyError`` names the bad token and where it is."""
    tokens = text.replace(",", " ").split()
    bpm = DEFAULT_BPM
    if tokens and _TEMPO.match(tokens[0]):
        bpm = float(_TEMPO.match(tokens[0]).group("bpm"))
        tokens = tokens[1:]
        if not 20 <= bpm <= 400:
            raise MelodyError(f"Tempo {bpm:g} BPM is outside 20–400.")
    pieces: list[tuple[int | None, float]] = []
    for position, token in enumerate(tokens, start=1):
        if note := _NOTE.match(token):
            div = int(note.group("div"))
            if div == 0:
                raise MelodyError(
                    f"Token {position} '{token}': the note value after '/' must be 1, 2, 4, 8, …."
                )
            seconds = (60.0 / bpm) * 4 / div * (1.5 if note.group("dot") else 1.0)
            pitch = note.group("name")
            pieces.append((None if pitch.lower() == "r" else note_name_to_midi(pitch), seconds))
        elif timed := _SECONDS.match(token):
            pitch, seconds = timed.group("pitch"), float(timed.group("sec"))
            if seconds <= 0:
                raise MelodyError(f"Token {position} '{token}': the duration must be positive.")
            if pitch.lower() != "r" and int(pitch) > 127:
                raise MelodyError(f"Token {position} '{token}': MIDI pitch must be 0–127.")
            pieces.append((None if pitch.lower() == "r" else int(pitch), seconds))
        else:
            raise MelodyError(
                f"Token {position} '{token}' is not a note. Write notes as C4/4, F#3/8., r/4 (rest), "
                "or MIDI:seconds such as 60:0.5."
            )
    return _sequence(pieces, name).validate()


def to_note_text(melody: Melody) -> str:
    """The melody's notes as note text (``MIDI:seconds`` tokens, ``r:seconds`` rests) that
    :func:`parse_note_text` reads back to the same notes (each onset to a millisecond: durations are
    differences of rounded onsets, so rounding does not accumulate)."""
    tokens, written = [], 0.0  # the time the tokens so far add up to, in whole milliseconds
    for note in melody.notes:
        onset, end = round(note.onset, 3), round(note.end, 3)
        if onset > written + 5e-4:
            tokens.append(f"r:{onset - written:.3f}")
            written = onset
        if end - written > 5e-4:
            tokens.append(f"{'r' if note.midi is None else note.midi}:{end - written:.3f}")
            written = end
    return " ".join(tokens)


# ---------------------------------------------------------------------------------------------------------
# MIDI


def from_midi(path: str) -> Melody:
    """The top monophonic line of the first track with pitched notes (channel 10 drums ignored).

    Where notes overlap, the highest sounding note wins (a skyline). A file whose notes all start
    together with others (chords only) or that has no pitched notes is refused.
    """
    import mido

    try:
        midi = mido.MidiFile(path)
    except Exception as error:
        detail = f" ({str(error).strip()[:100]})" if str(error).strip() else ""
        raise MelodyError(f"Could not read the MIDI file{detail}. Upload a standard .mid file.") from None
    for track in midi.tracks:
        notes = _track_notes(track, midi)
        if notes:
            return _skyline(notes, name=f"MIDI {path.rsplit('/', 1)[-1]}").validate()
    raise MelodyError(
        "The MIDI file has no pitched notes (drums on channel 10 do not count). Upload a melody."
    )


def _track_notes(track, midi) -> list[tuple[int, float, float]]:
    import mido

    tempo, ticks, seconds = 500000, 0, 0.0
    sounding: dict[int, float] = {}
    notes = []
    for message in track:
        seconds += mido.tick2second(message.time, midi.ticks_per_beat, tempo)
        ticks += message.time
        if message.type == "set_tempo":
            tempo = message.tempo
        elif message.type in {"note_on", "note_off"} and getattr(message, "channel", 0) != 9:
            if message.type == "note_on" and message.velocity > 0:
                sounding[message.note] = seconds
            elif message.note in sounding:
                start = sounding.pop(message.note)
                if seconds > start:
                    notes.append((message.note, start, seconds))
    return sorted(notes, key=lambda n: (n[1], -n[0]))


def _skyline(notes: list[tuple[int, float, float]], name: str) -> Melody:
    onsets = [start for _, start, _ in notes]
    if len(notes) > 1 and all(onsets.count(t) > 1 for t in onsets):
        raise MelodyError(
            "The MIDI file holds only chords (every note starts with others). Upload a single melody line."
        )
    line: list[tuple[int, float, float]] = []
    for pitch, start, end in notes:
        if line and start < line[-1][2]:  # overlaps the previous note of the line
            if pitch <= line[-1][0]:
                continue
            previous = line[-1]
            line[-1] = (previous[0], previous[1], start)
            if line[-1][2] - line[-1][1] < 1e-3:
                line.pop()
        line.append((pitch, start, end))
    result, t = [], line[0][1]
    for pitch, start, end in line:
        if start > t + 1e-3:
            result.append(Note(None, t, start - t))
        result.append(Note(pitch, start, end - start))
        t = end
    return Melody(tuple(n for n in result if n.duration > 0), name)


# ---------------------------------------------------------------------------------------------------------
# Reference recording


#: a DIO frame this far from pYIN's estimate (both voiced) is a tracking error of DIO's, and pYIN's value
#: replaces it
CORRECTION_CENTS = 100.0


def recorded_contour(audio: Audio) -> F0Track:
    """The F0 contour a reference recording is sung with: WORLD DIO refined by StoneMask (its voicing and
    its fine pitch, which follow the voice closely), with every frame that lies :data:`CORRECTION_CENTS`
    or more from pYIN's estimate (octave jumps, stray pitches at breaths and note edges) given pYIN's.

    Measured on the PJS valid split (results/world_sts/reference/README.md): against DIO alone, raw chroma
    accuracy of melody-only singing 0.775 → 0.800 and guide-vocal LSD 9.35 → 9.47; pYIN alone reached RCA
    0.851 but LSD 13.8 / 10.3 (its voicing runs through the singer's consonants, which were then sung
    periodic), and so did its voicing with DIO's values (9.94)."""
    from models.features import accurate_f0, f0

    fast, accurate = f0(audio, method="fast"), accurate_f0(audio)
    nearest = np.clip(np.round(fast.times / accurate.hop_s).astype(int), 0, len(accurate.hz) - 1)
    check = np.where(accurate.voiced[nearest], accurate.hz[nearest], 0.0)
    both = fast.voiced & (check > 0)
    cents = np.zeros_like(fast.hz)
    cents[both] = 1200 * np.abs(np.log2(fast.hz[both] / check[both]))
    corrected = np.where(both & (cents >= CORRECTION_CENTS), check, np.where(fast.voiced, fast.hz, 0.0))
    return F0Track(times=fast.times, hz=corrected)


def from_recording(
    audio: Audio, *, follow: bool = True, min_note_s: float = 0.08, split_semitones: float = 0.75
) -> Melody:
    """A melody read from sung or hummed audio. Notes: voiced runs of the F0, split where the pitch moves
    by more than ``split_semitones`` for at least ``min_note_s``, each rounded to the nearest semitone
    (median pitch). With ``follow`` (the default) the melody also keeps the recording's own F0 contour
    (:attr:`Melody.recorded`): its tuning, vibrato, scoops and voicing, which converters then sing as it
    is; without, it is the notes alone.
    """
    track = recorded_contour(audio)
    hop = track.hop_s
    midi = np.where(track.voiced, hz_to_midi(np.maximum(track.hz, 1e-6)), np.nan)
    min_frames = max(1, int(round(min_note_s / hop)))
    notes: list[Note] = []
    start = None
    for i in range(len(midi) + 1):
        value = midi[i] if i < len(midi) else np.nan
        if start is not None:
            current = np.nanmedian(midi[start:i]) if i > start else value
            moved = not np.isnan(value) and abs(value - current) > split_semitones
            settled = (
                moved
                and i + min_frames <= len(midi)
                and np.all(np.abs(midi[i : i + min_frames] - current) > split_semitones)
            )
            if np.isnan(value) or settled:
                if i - start >= min_frames:
                    notes.append(Note(int(round(current)), start * hop, (i - start) * hop))
                start = None
        if start is None and not np.isnan(value):
            start = i
    if not notes:
        raise MelodyError(
            "No sung notes were found in the reference recording. Sing or hum clearly, then retry."
        )
    with_rests, t = [], 0.0
    for note in notes:
        if note.onset > t + 1e-6:
            with_rests.append(Note(None, t, note.onset - t))
        with_rests.append(note)
        t = note.end
    recorded = F0Track(times=track.times, hz=np.where(track.voiced, track.hz, 0.0)) if follow else None
    return Melody(
        tuple(with_rests), "reference recording", recorded=recorded, recording=audio if follow else None
    ).validate()


# ---------------------------------------------------------------------------------------------------------
# Built-in public-domain tunes (traditional, or published before 1900)

TUNES = {
    "Twinkle, Twinkle, Little Star": "tempo=100: C4/4 C4/4 G4/4 G4/4 A4/4 A4/4 G4/2 F4/4 F4/4 E4/4 E4/4 D4/4 D4/4 C4/2",
    "Ode to Joy (Beethoven)": "tempo=110: E4/4 E4/4 F4/4 G4/4 G4/4 F4/4 E4/4 D4/4 C4/4 C4/4 D4/4 E4/4 E4/4. D4/8 D4/2",
    "Frère Jacques": "tempo=100: C4/4 D4/4 E4/4 C4/4 C4/4 D4/4 E4/4 C4/4 E4/4 F4/4 G4/2 E4/4 F4/4 G4/2",
    "Mary Had a Little Lamb": "tempo=110: E4/4 D4/4 C4/4 D4/4 E4/4 E4/4 E4/2 D4/4 D4/4 D4/2 E4/4 G4/4 G4/2",
    "Row, Row, Row Your Boat": "tempo=100: C4/4. C4/4. C4/4 D4/8 E4/4. E4/4 D4/8 E4/4 F4/8 G4/2.",
    "Amazing Grace": "tempo=90: D4/4 G4/2 B4/8 G4/8 B4/2 A4/4 G4/2 E4/4 D4/2 r/4 D4/4 G4/2 B4/8 G4/8 B4/2 A4/4 D5/2.",
}


def tune(name: str) -> Melody:
    if name not in TUNES:
        raise MelodyError(f"No built-in tune '{name}'. Choose one of: {', '.join(TUNES)}.")
    return parse_note_text(TUNES[name], name=name)


_TONE_HARMONICS = ((1, 1.0), (2, 0.4), (3, 0.15), (4, 0.06))


def melody_tone(melody: Melody, sr: int = 22050) -> Audio:
    """A soft harmonic tone of what a converter is asked to sing, to hear before converting: note by note
    (20 ms fades, so repeated notes stay apart), or along the recorded pitch curve when the melody
    follows a recording. Peak 0.3."""
    out = np.zeros(int(np.ceil((melody.duration + 0.1) * sr)), dtype=np.float64)
    ramp = int(0.02 * sr)  # 20 ms fades: no clicks at note edges
    if melody.follows_contour:
        contour = melody.contour()
        f0 = np.interp(np.arange(len(out)) / sr, contour.times, contour.hz, right=0.0)
        voiced = np.interp(np.arange(len(out)) / sr, contour.times, (contour.hz > 0).astype(float), right=0.0)
        phase = 2 * np.pi * np.cumsum(f0) / sr  # phase follows the curve: glides and vibrato stay smooth
        envelope = np.convolve(voiced, np.ones(ramp) / ramp, mode="same") if ramp else voiced
        out += sum(a * np.sin(k * phase) for k, a in _TONE_HARMONICS) * envelope
    else:
        for note in melody.sung_notes:
            n = int(note.duration * sr)
            t = np.arange(n) / sr
            f0 = float(midi_to_hz(note.midi))
            tone = sum(a * np.sin(2 * np.pi * k * f0 * t) for k, a in _TONE_HARMONICS)
            envelope = np.minimum(1.0, np.minimum(np.arange(n), n - np.arange(n)) / max(ramp, 1))
            start = int(note.onset * sr)
            out[start : start + n] += tone * envelope
    return Audio((0.3 * out / max(np.max(np.abs(out)), 1e-9)).astype(np.float32), sr)
