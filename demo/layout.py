"""The whole web app: a header and one tab per converter family, built from the services it is handed."""

from __future__ import annotations

import gradio as gr

from demo.converter_tab import DemoServices, converter_tab

INTRO = """# Songbridge
Speech ↔ singing conversion and listening tests. Every tab takes an uploaded or recorded voice;
each plot shows the input and output mel spectrograms with F0 drawn over them."""

# On a study link (``/?study=ID``) participants see the study alone: the header, the tab row (whose
# converter tabs name the systems under test) and Gradio's footer (its API page lists them too) are
# hidden from the first paint, before the load event hides the tabs themselves (open_study_tab).
PARTICIPANT_VIEW = """<style>
html.sb-participant .sb-chrome, html.sb-participant .tab-wrapper, html.sb-participant footer {
  display: none !important; }
</style>"""
PARTICIPANT_VIEW_JS = (
    "if (new URLSearchParams(window.location.search).get('study')) "
    "document.documentElement.classList.add('sb-participant');"
)


def build_app(services: DemoServices, *, listening=None) -> gr.Blocks:
    """``listening`` (a ListeningService) adds the listening-test tab, and the admin tab when
    SONGBRIDGE_ADMIN_TOKEN is set."""
    with gr.Blocks(title="Songbridge", analytics_enabled=False) as app:
        if listening is not None:
            gr.HTML(
                "", html_template=PARTICIPANT_VIEW, js_on_load=PARTICIPANT_VIEW_JS, apply_default_css=False
            )
        intro = gr.Markdown(INTRO, elem_classes="sb-chrome")
        with gr.Tabs() as tabs:
            converter_tab(
                services,
                ["vocoder-check"],
                title="Vocoder check",
                intro="Hear a voice analysed into a mel spectrogram and resynthesized by **HiFi-GAN** "
                "(neural, universal weights) or **Griffin-Lim** (phase reconstruction). This is the ceiling "
                "every mel-domain converter lives under: it cannot sound better than this.",
                examples="speech_",
            )
            converter_tab(
                services,
                ["world-sts"],
                title="Speech → Singing (WORLD)",
                intro="Sing any spoken recording to a melody, without training: syllables are found in the "
                "speech, their vowels stretched onto the notes (consonants kept), and WORLD resynthesizes "
                "them with a singing F0 — overshoot, preparation, vibrato — and a singer's formant. "
                "A reference recording is sung with its own pitch curve, or as a guide vocal of the very words "
                "you spoke. The melody moves by octaves into your range by itself.",
                examples="speech_",
            )
            converter_tab(
                services,
                ["parekh-mtl", "parekh-mse", "parekh-b2"],
                title="Speech → Singing (ICASSP 2020)",
                intro="The encoder–decoder of Parekh, Rao & Yang (ICASSP 2020): the speech is stretched to the "
                "melody's length, and a network that sees its spectrogram and an image of the melody predicts "
                "the singing spectrogram; Griffin-Lim gives the waveform. **P-MTL** also learned to recognise "
                "the sung phones, **P-MSE** did not, **Baseline 2** lacks instance norm and skip connections "
                "(the three systems of the paper's listening test). Trained here on a small synthetic corpus at "
                "a quarter of the paper's width: expect muffled, robotic singing — see the model cards.",
                examples="speech_",
            )
            converter_tab(
                services,
                ["alignsts"],
                title="Speech → Singing (AlignSTS)",
                intro="AlignSTS (Li et al., ACL Findings 2023): the words are read from your speech as phone "
                "posteriors (after its intonation is flattened), a **rhythm adaptor** predicts where the sung "
                "sounds start and stop from the melody and the words, and a **cross-modal aligner** moves each "
                "word onto that rhythm before a decoder paints the singing mel spectrogram for HiFi-GAN. The "
                "output lasts exactly as long as the melody. Trained here on one CPU thread on a small synthetic "
                "corpus at a fraction of the paper's size, with its own small phoneme recognizer instead of "
                "wav2vec 2.0: expect a generic synthetic voice, not yours — see the model card.",
                examples="speech_",
            )
            converter_tab(
                services,
                ["world-s2s"],
                title="Singing → Speech (WORLD)",
                intro="Turn singing into speech-like audio, the baselines of the flow-based singing-to-speech "
                "paper: **nodur** replaces the sung melody by speech intonation (declining phrases, accents "
                "on syllables) in a speaking range derived from the singer; **dur** also shortens sustained "
                "vowels toward speech durations.",
                examples="singing_",
            )
            converter_tab(
                services,
                ["s2s-flow"],
                title="Singing → Speech (flow)",
                intro="Singing to speech with a generative flow (after Huang & Benetos 2025, built on Glow-TTS): "
                "an encoder recognises the sung phones, a duration predictor gives them speech-like lengths, "
                "and an invertible flow, guided by each phone's sung frames, turns samples around their learned "
                "mean into a speech mel spectrogram for HiFi-GAN. **Noise scale** is the sampling temperature. "
                "Trained here for 45 minutes on two CPU threads on a small synthetic corpus; on real voices the "
                "Singing → Speech (WORLD) tab keeps the words better (see the model card).",
                examples="singing_",
            )
            converter_tab(
                services,
                ["vae-growl"],
                title="Voice style (VAE)",
                intro="A clean voice turned into a metal growl by a small convolutional variational autoencoder on "
                "mel spectrograms, after the *Scream Machine* blog. **Style strength** moves through the model's "
                "latent space from reconstructing your voice (0) to the full growl (1). The growl it learned is a "
                "**synthetic DSP effect** (period doubling, noise, lowered formants, saturation — no recordings of "
                "growl singers could be had), so it has learned that effect, not a singer's technique; see its "
                "model card. Train it on your own clean/target recordings with "
                "`python -m models.training vae_style --pairs DIR` (aligned automatically).",
                examples="singing_",
            )
            if listening is not None:
                _listening_tabs(app, tabs, intro, listening)
    return app


def _listening_tabs(app: gr.Blocks, tabs: gr.Tabs, intro: gr.Markdown, listening) -> None:
    from demo.listening_tab import TAB_ID, listening_tab, open_study_tab
    from evaluation.listening.settings import admin_token

    listening_tab()
    if admin_token() is not None:
        from demo.admin_tab import admin_tab

        admin_tab(listening)
    others = [intro, *(t for t in tabs.children if isinstance(t, gr.Tab) and t.id != TAB_ID)]

    def participant_view(request: gr.Request):
        return open_study_tab(request, hidden=len(others))

    app.load(participant_view, None, [tabs, *others], queue=False, api_visibility="private")
