"""The lyrics path's bench items at other tempos: is a miss the singing or a knife edge of the judge?

``PYTHONPATH=. python results/world_sts/tempo_sweep.py`` prints ``tempo_sweep_output.txt``: for the three
items the lyrics path misses and five it passes, pocketsphinx's verdict (success / mean phone score) on
the sung output with the tune played at 0.5× … 3× its tempo (longer notes at the left).
"""

from evaluation.tables.world_sts import LOW_VOICES, inputs
from models.dsp.world_sts import WorldSpeechToSinging, WorldSTSOptions
from models.forced_align import alignment_score
from models.melody import tune

TEMPOS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
ITEMS = {  # bench input → tunes (the first three rows are the misses)
    "festival 6": ("Twinkle, Twinkle, Little Star", "Ode to Joy (Beethoven)"),
    "speech_arctic_slt_a0009.wav": ("Amazing Grace", "Twinkle, Twinkle, Little Star"),
    "speech_arctic_awb_a0007.wav": ("Amazing Grace",),
    "festival 1": ("Ode to Joy (Beethoven)", "Frère Jacques"),
    "festival 7": ("Frère Jacques",),
}


def main() -> None:
    converter = WorldSpeechToSinging()
    print(f"{'item':32s} " + " ".join(f"{f'×{t}':>12s}" for t in TEMPOS))
    for name, audio, lyrics, _ in inputs():
        transpose = -12 if any(v in name for v in LOW_VOICES) else 0
        for title in ITEMS.get(name, ()):
            cells = []
            for tempo in TEMPOS:
                melody = tune(title).transposed(transpose).at_tempo(tempo)
                sung = converter.convert(audio, melody=melody, options=WorldSTSOptions(lyrics=lyrics)).audio
                score = alignment_score(sung, lyrics)
                cells.append(f"{'ok' if score.success else 'MISS'} {score.mean_phone_score:6.1f}")
            print(f"{name[:18] + ' ' + title[:13]:32s} " + " ".join(f"{c:>12s}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
