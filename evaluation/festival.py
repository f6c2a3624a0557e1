"""Festival text-to-speech (Debian packages festival + festvox-kallpc16k) as a source of test speech."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from models.features import Audio, load_audio

VOICES = ("kal_diphone",)


def speak(text: str, *, voice: str = "kal_diphone") -> Audio:
    """Festival's speech for ``text`` (16 kHz male US English), loaded as Songbridge audio."""
    if shutil.which("text2wave") is None:
        raise RuntimeError("Festival is not installed: apt-get install festival festvox-kallpc16k")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "speech.wav")
        subprocess.run(
            ["text2wave", "-eval", f"(voice_{voice})", "-o", path],
            input=text.encode(),
            check=True,
            capture_output=True,
            timeout=60,
        )
        return load_audio(path)


#: Sentences for benchmarks, written for this project.
SENTENCES = (
    "the morning light came softly through the open window",
    "we walked along the river until the evening bells",
    "she found a letter hidden in the pages of a book",
    "the children laughed and ran across the golden field",
    "a quiet wind was moving through the tall green trees",
    "he carried the small blue boat down to the water",
    "they sang together by the fire late into the night",
    "the old clock in the hall has stopped at seven",
)
