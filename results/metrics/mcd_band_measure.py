"""MCD of copy syntheses of 16 kHz recordings, at 22.05 kHz (α 0.455) and at 16 kHz (α 0.42).

``PYTHONPATH=. python results/metrics/mcd_band_measure.py CORPUS`` prints the table of mcd_band.md, on the
standard MCD scale since issue 20: twice the numbers there (results/metrics/mcd_scale.md).
"""

import sys

import evaluation.metrics as metrics
from models import vocoders, world
from models.corpus.manifest import audio_path, read_manifest
from models.features import load_audio, to_rate

EXAMPLES = ("speech_arctic_slt_a0009.wav", "speech_arctic_awb_a0007.wav")


def mcd_at(reference, estimate, sample_rate: int, alpha: float) -> float:
    ref, est = (metrics.mel_cepstrum(a, alpha=alpha, sample_rate=sample_rate) for a in (reference, estimate))
    return metrics.mcd_from_cepstra(reference=ref, estimate=est)


def main(corpus: str) -> None:
    pairs = read_manifest(corpus, split="test")[:3]
    clips = [(p.id, load_audio(audio_path(corpus, p.speech_wav))) for p in pairs]
    clips += [(name, load_audio(f"examples/{name}")) for name in EXAMPLES]
    print("| clip | HiFi-GAN copy synthesis | Griffin-Lim copy synthesis | WORLD analysis–synthesis |")
    print("|---|---|---|---|")
    for name, speech in clips:
        outputs = [
            vocoders.copy_synthesis(speech, vocoders.hifigan()),
            vocoders.copy_synthesis(speech, vocoders.GriffinLim()),
            world.synthesize(world.analyse(to_rate(speech, 22050))),
        ]
        cells = [
            f"{mcd_at(speech, o, 22050, 0.455):.2f} → **{mcd_at(speech, o, 16000, 0.42):.2f}**"
            for o in outputs
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
