"""Reading an audio file at a bounded cost (``models.features.load_audio`` calls this for files and bytes).

The container is judged by its content — libsndfile's reading of the header — never by the file's name:
WAV, FLAC, OGG (Vorbis or Opus) and MP3 are read; MAT5, PAF, IRCAM, NIST, VOC, W64, CAF and the other
formats libsndfile also knows are refused, which keeps the parsers an upload can reach to the four that
people use. Before a sample is decoded, the header's channels × sample rate × length is bounded: a 98 KB
silent OGG of 255 channels at 48 kHz for 59 s decodes to 2.9 GB of float32. Decoding then reads blocks of
4 MB and mixes each to mono as it goes (memory: twice the mono result at most, whatever the channel
count), and stops as soon as the length or the budget is passed, so a header that lies about the length
costs no more than one that tells the truth.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING

import numpy as np

from models.errors import AudioInputError

if TYPE_CHECKING:
    from models.features import AudioLimits

ACCEPTED = "WAV, FLAC, OGG or MP3"

#: libsndfile's major formats that are read. WAVEX is WAV with an extensible header (multichannel and
#: 24-bit exports); RF64 is the WAV that broadcast recorders write past 4 GB.
FORMATS = frozenset({"WAV", "WAVEX", "RF64", "FLAC", "OGG", "MP3"})
#: the codecs read inside an OGG container
OGG_CODECS = frozenset({"VORBIS", "OPUS"})

#: samples (all channels together) decoded at a time: 4 MB of float32
BLOCK_SAMPLES = 1 << 20
#: a file that decodes to less than this fraction of the length its header announces is damaged or cut
#: short (libsndfile stops an MP3 at a bad frame, silently)
COMPLETE_FRACTION = 0.9
#: libsndfile gives SF_COUNT_MAX (2**63 - 1) frames when the header does not know the length (a streamed
#: FLAC); anything this large is read as "unknown"
_UNKNOWN_FRAMES = 2**62


@dataclasses.dataclass(frozen=True)
class Header:
    """What a file's header says, read without decoding it."""

    format: str  # libsndfile's major format ("WAV", "OGG", "MAT5", …)
    subtype: str  # its encoding ("PCM_16", "VORBIS", "MPEG_LAYER_III", …)
    channels: int
    samplerate: int
    frames: int | None  # None: the header does not say

    @property
    def seconds(self) -> float | None:
        return None if self.frames is None else self.frames / self.samplerate


def read_header(file, label: str, limits: AudioLimits) -> Header:
    """Read ``file``'s header (a path or a file object) and refuse, before decoding, a file of a format
    other than WAV, FLAC, OGG (Vorbis, Opus) or MP3, longer than ``limits.max_seconds``, or whose decoded
    samples (channels × frames) would pass ``limits.max_decoded_samples``. ``label`` names the file in
    messages (``"'take.wav'"``). Raises :class:`AudioInputError`."""
    import soundfile

    try:
        info = soundfile.info(file)
    except Exception as error:
        raise unreadable(label, error) from None
    frames = info.frames if 0 <= info.frames < _UNKNOWN_FRAMES else None
    header = Header(info.format, info.subtype, info.channels, info.samplerate, frames)
    if header.format not in FORMATS:
        raise AudioInputError(
            _sentence(
                f"By its content, {label} holds audio in the {header.format} format, whatever its name says; "
                f"only {ACCEPTED} files are read here. Export it as WAV or FLAC and upload that."
            )
        )
    if header.format == "OGG" and header.subtype not in OGG_CODECS:
        raise AudioInputError(
            _sentence(
                f"{label} is an OGG file with {header.subtype} audio inside; only Vorbis or Opus are read in OGG. "
                "Export it as WAV or FLAC and upload that."
            )
        )
    if header.channels <= 0 or header.samplerate <= 0:
        raise unreadable(label, ValueError(f"{header.channels} channels at {header.samplerate} Hz"))
    if header.seconds is not None:
        if header.seconds > limits.max_seconds:
            raise too_long(header.seconds, limits.max_seconds)
        if header.channels * header.frames > limits.max_decoded_samples:
            raise over_budget(label, header, header.seconds, limits)
    return header


def decode(file, label: str, header: Header, limits: AudioLimits) -> tuple[np.ndarray, int]:
    """Decode ``file`` to mono float32 in blocks (the mean of its channels); returns ``(samples, rate)``.

    Memory is one block plus twice the mono result (its blocks, then their concatenation). Refuses (with
    :class:`AudioInputError`) a file that turns out longer than ``limits.max_seconds`` or over the decode
    budget whatever its header said, and one that decodes to less than :data:`COMPLETE_FRACTION` of the
    length its header announces (damaged or cut short: better said than converted in part).
    """
    import soundfile

    rate, channels = header.samplerate, header.channels
    max_frames = int(limits.max_seconds * rate)
    # decoding stops at whichever comes first, the length limit or the budget of samples
    frame_limit = min(max_frames, limits.max_decoded_samples // channels)
    block_frames = max(1024, BLOCK_SAMPLES // channels)
    blocks: list[np.ndarray] = []
    decoded = 0
    # soundfile asks libsndfile where it is before each read, which fails when the length is not known
    opener = soundfile.SoundFile if header.frames is not None else _stream_class()
    try:
        with opener(file) as f:
            while True:
                block = f.read(block_frames, dtype="float32", always_2d=True)
                if len(block) == 0:
                    break
                decoded += len(block)
                if decoded > frame_limit:
                    if frame_limit < max_frames:
                        raise over_budget(label, header, frame_limit / rate, limits, known=False)
                    raise too_long(None, limits.max_seconds)
                blocks.append(block[:, 0].copy() if channels == 1 else block.mean(axis=1, dtype=np.float32))
    except AudioInputError:
        raise
    except Exception as error:
        raise unreadable(label, error) from None
    if header.frames and decoded < COMPLETE_FRACTION * header.frames:
        raise AudioInputError(
            _sentence(
                f"{label} seems damaged or cut short: only {decoded / rate:.2f} s of the {header.seconds:.2f} s "
                "its header announces could be decoded. Export or download it again, or upload it as WAV or FLAC."
            )
        )
    samples = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    return samples, rate


@functools.cache
def _stream_class():
    """A SoundFile read front to back without asking where it is: for headers that do not know their length."""
    import soundfile

    class Stream(soundfile.SoundFile):
        def seekable(self) -> bool:
            return False

    return Stream


def unreadable(label: str, error: Exception) -> AudioInputError:
    # the decoder's own words when it has some; never a bare exception class name (jargon to a user)
    detail = f" ({str(error).strip().splitlines()[0][:120]})" if str(error).strip() else ""
    return AudioInputError(
        f"Could not read {label} as audio{detail}. Upload a {ACCEPTED} file that plays in a media player."
    )


def too_long(duration: float | None, max_seconds: float) -> AudioInputError:
    """The refusal of a recording over ``max_seconds`` (``duration`` None: its length is not known)."""
    length = f"is {duration:.1f} s long" if duration is not None else f"is longer than {max_seconds:g} s"
    return AudioInputError(
        f"The recording {length}; the limit here is {max_seconds:g} s. Trim it to a shorter excerpt."
    )


def over_budget(
    label: str, header: Header, seconds: float, limits: AudioLimits, *, known: bool = True
) -> AudioInputError:
    """The refusal of a file whose decoded samples pass the budget (``known``: ``seconds`` is its whole
    length, else the length decoded when the budget ran out)."""
    needed = header.channels * header.samplerate * seconds
    return AudioInputError(
        _sentence(
            f"{label} has {header.channels} channels at {header.samplerate} Hz for {'' if known else 'over '}"
            f"{seconds:.1f} s, {'' if known else 'more than '}{needed / 1e6:.1f} million samples to decode; "
            "the limit here is "
            f"{limits.max_decoded_samples / 1e6:.1f} million ({limits.max_seconds:g} s of "
            f"{limits.max_decode_rate / 48000:g} channels at 48 kHz). Export it as mono or stereo at 48 kHz or less."
        )
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
