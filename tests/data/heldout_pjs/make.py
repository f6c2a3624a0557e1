"""Writes this folder from a PJS corpus folder: `python tests/data/heldout_pjs/make.py corpora/pjs`.

Two short pairs of PJS's test split (never in any checkpoint's training), as FLAC, with their manifest lines.
"""

import dataclasses
import os
import sys

import soundfile

from models.corpus.manifest import audio_path, read_manifest, sha256_file, write_manifest

IDS = ("pjs025", "pjs041")  # the two shortest songs of the test split (6.4 s and 5.9 s of singing)
HERE = os.path.dirname(os.path.abspath(__file__))

if __name__ == "__main__":
    pairs = []
    for pair in read_manifest(sys.argv[1], split="test"):
        if pair.id not in IDS:
            continue
        files = {}
        for side in ("speech_wav", "singing_wav"):
            relative = getattr(pair, side).rsplit(".", 1)[0] + ".flac"
            os.makedirs(os.path.join(HERE, os.path.dirname(relative)), exist_ok=True)
            samples, sr = soundfile.read(audio_path(sys.argv[1], getattr(pair, side)))
            soundfile.write(os.path.join(HERE, relative), samples, sr, subtype="PCM_16")
            files[side] = relative
        sha = {side: sha256_file(os.path.join(HERE, path)) for side, path in files.items()}
        pairs.append(dataclasses.replace(pair, **files, sha256=sha))
    print(write_manifest(pairs, os.path.join(HERE, "manifest.jsonl")))
