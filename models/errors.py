"""The project's error types. Every message is one sentence a person can act on."""


class SongbridgeError(Exception):
    """Base of every error the UI turns into a message instead of a traceback."""


class AudioInputError(SongbridgeError, ValueError):
    """The audio given to a converter or a study cannot be used (unreadable, too short, silent, …)."""


class MelodyError(SongbridgeError, ValueError):
    """The melody (note text, MIDI, reference recording) cannot be used."""


class CheckpointError(SongbridgeError, RuntimeError):
    """A checkpoint file is missing, of an unknown format or version, or made for other features."""


class ConverterUnavailableError(SongbridgeError, LookupError):
    """A converter was asked for that is not registered or has no checkpoint."""
