"""Every built-in converter, declared once: name, task, titles, the demo's intro text, checkpoint, trainer.

The demo builds its tabs from these entries (in this order, grouped by task and then by ``tab``), the
benchmark and the listening-study generator look converters up by ``name``, and
``python -m models.training`` finds each trainer here. Adding a converter is one new package plus one
entry below (README, "Adding a converter").
"""

from __future__ import annotations

from models.base import Task
from models.registry import ConverterSpec

_PAREKH_INTRO = (
    "The encoder–decoder of Parekh, Rao & Yang (ICASSP 2020): the speech is stretched to the melody's length, "
    "and a network that sees its spectrogram and an image of the melody predicts the singing spectrogram; "
    "Griffin-Lim gives the waveform. **P-MTL** also learned to recognise the sung phones, **P-MSE** did not, "
    "**Baseline 2** lacks instance norm and skip connections (the three systems of the paper's listening "
    "test). Trained here on a small synthetic corpus and a real singer's pairs (PJS) at a quarter of the paper's "
    "width, with a finer melody image than the paper's: expect muffled, robotic singing — see the model cards."
)

BUILTIN = [
    ConverterSpec(
        name="world-sts",
        task=Task.SPEECH_TO_SINGING,
        title="Speech → Singing (WORLD)",
        description="model-based (Saitou et al. 2007): syllables stretched onto the notes, singing F0 with "
        "overshoot, preparation and vibrato, singer's formant; no training, any voice",
        factory="models.dsp.world_sts:WorldSpeechToSinging",
        tab="WORLD",
        intro="Sing any spoken recording to a melody, without training: syllables are found in the speech, their "
        "vowels stretched onto the notes (consonants kept), and WORLD resynthesizes them with a singing F0 — "
        "overshoot, preparation, vibrato — and a singer's formant. A reference recording is sung with its own "
        "pitch curve, or as a guide vocal of the very words you spoke. The melody moves by octaves into your "
        "range by itself.",
    ),
    *(
        ConverterSpec(
            name=f"parekh-{short}",
            task=Task.SPEECH_TO_SINGING,
            title=f"Speech → Singing (ICASSP 2020, {label})",
            description=f"encoder–decoder of Parekh, Rao & Yang (ICASSP 2020), {label}; trained on synthetic "
            "and real (PJS) pairs, Griffin-Lim output",
            factory="models.parekh.converter:ParekhConverter",
            checkpoint=f"parekh-{variant}.pt",
            tab="ICASSP 2020",
            intro=_PAREKH_INTRO,
            trainer="models.parekh.train",
        )
        for short, variant, label in (
            ("mtl", "p-mtl", "P-MTL: with the phoneme head"),
            ("mse", "p-mse", "P-MSE"),
            ("b2", "b2", "Baseline 2: no instance norm, no skips"),
        )
    ),
    ConverterSpec(
        name="alignsts",
        task=Task.SPEECH_TO_SINGING,
        title="Speech → Singing (AlignSTS)",
        description="rhythm adaptor and cross-modal aligner of Li et al. (ACL Findings 2023), scaled down, with "
        "our own phoneme recognizer for content; trained on the synthetic corpus, HiFi-GAN output",
        factory="models.alignsts.converter:AlignSTSConverter",
        checkpoint="alignsts.pt",
        tab="AlignSTS",
        intro="AlignSTS (Li et al., ACL Findings 2023): the words are read from your speech as phone posteriors "
        "(after its intonation is flattened), a **rhythm adaptor** predicts where the sung sounds start and stop "
        "from the melody and the words, and a **cross-modal aligner** moves each word onto that rhythm before a "
        "decoder paints the singing mel spectrogram for HiFi-GAN. The output lasts exactly as long as the "
        "melody. Trained here on one CPU thread on a small synthetic corpus at a fraction of the paper's size, "
        "with its own small phoneme recognizer instead of wav2vec 2.0: expect a generic synthetic voice, not "
        "yours — see the model card.",
        trainer="models.alignsts.train",
    ),
    ConverterSpec(
        name="world-s2s",
        task=Task.SINGING_TO_SPEECH,
        title="Singing → Speech (WORLD)",
        description="model-based baselines: speech-like intonation (nodur), and shortened vowels too (dur)",
        factory="models.dsp.world_s2s:WorldSingingToSpeech",
        tab="WORLD",
        intro="Turn singing into speech-like audio, the baselines of the flow-based singing-to-speech paper: "
        "**nodur** replaces the sung melody by speech intonation (declining phrases, accents on syllables) in a "
        "speaking range derived from the singer; **dur** also shortens sustained vowels toward speech durations.",
    ),
    ConverterSpec(
        name="s2s-flow",
        task=Task.SINGING_TO_SPEECH,
        title="Singing → Speech (flow)",
        description="generative flow with monotonic alignment search (after Huang & Benetos 2025, on Glow-TTS); "
        "trained on the synthetic corpus, HiFi-GAN output",
        factory="models.s2s_flow.converter:S2SFlowConverter",
        checkpoint="s2s-flow.pt",
        tab="Flow",
        intro="Singing to speech with a generative flow (after Huang & Benetos 2025, built on Glow-TTS): an "
        "encoder recognises the sung phones, a duration predictor gives them speech-like lengths, and an "
        "invertible flow, guided by each phone's sung frames, turns samples around their learned mean into a "
        "speech mel spectrogram for HiFi-GAN. **Noise scale** is the sampling temperature. Trained here for 45 "
        "minutes on two CPU threads on a small synthetic corpus; on real voices the WORLD tab keeps the words "
        "better (see the model card).",
        trainer="models.s2s_flow.train",
    ),
    ConverterSpec(
        name="vae-growl",
        task=Task.STYLE,
        title="Voice style (VAE)",
        description="convolutional VAE on log-mel patches after the 'Scream Machine' blog: clean voice → growl; "
        "trained on the corpus's synthetic DSP growl, style strength by latent interpolation",
        factory="models.vae_style.converter:VAEStyleConverter",
        checkpoint="vae-growl.pt",
        tab="VAE growl",
        intro="A clean voice turned into a metal growl by a small convolutional variational autoencoder on mel "
        "spectrograms, after the *Scream Machine* blog. **Style strength** moves through the model's latent "
        "space from reconstructing your voice (0) to the full growl (1). The growl it learned is a **synthetic "
        "DSP effect** (period doubling, noise, lowered formants, saturation — no recordings of growl singers "
        "could be had), so it has learned that effect, not a singer's technique; see its model card. Train it "
        "on your own clean/target recordings with `python -m models.training vae_style --pairs DIR` (aligned "
        "automatically).",
        trainer="models.vae_style.train",
    ),
    ConverterSpec(
        name="vocoder-check",
        task=Task.RESYNTHESIS,
        title="Vocoder check",
        description="Analyse a voice into a mel spectrogram and resynthesize it with HiFi-GAN or Griffin-Lim: "
        "the quality ceiling every converter lives under.",
        factory="models.resynthesis:VocoderCheck",
        tab="Vocoder check",
        intro="Hear a voice analysed into a mel spectrogram and resynthesized by **HiFi-GAN** (neural, universal "
        "weights) or **Griffin-Lim** (phase reconstruction). This is the ceiling every mel-domain converter lives "
        "under: it cannot sound better than this.",
    ),
]
