"""The melody section of speech→singing tabs: built-in tune, note text, MIDI upload or reference recording."""

from __future__ import annotations

import gradio as gr
import numpy as np

from models import melody as melodies
from models.errors import AudioInputError
from models.features import AudioLimits, load_audio

SOURCES = ("Built-in tune", "Note text", "MIDI file", "Reference recording")
FOLLOW, AS_NOTES = "Follow the recording exactly", "As notes"


def build_melody_inputs(limits: AudioLimits | None = None) -> dict[str, gr.components.Component]:
    """The melody controls, keyed by the parameter names the tab's API shows (``melody_from_inputs``'s), and a
    "Preview melody" button that plays and plots the chosen melody before anything is converted."""
    limits = limits or AudioLimits()
    with gr.Group():
        source = gr.Radio(list(SOURCES), value=SOURCES[0], label="Melody source")
        tune = gr.Dropdown(list(melodies.TUNES), value=next(iter(melodies.TUNES)), label="Built-in tune")
        text = gr.Textbox(
            visible=False,
            label="Note text",
            placeholder="tempo=90: C4/4 D4/8 E4/8 r/4 G4/2   or   60:0.5 62:0.25",
            info="Scientific pitch (C4 = middle C) / note value; r = rest; or MIDI:seconds.",
        )
        midi = gr.File(visible=False, label="MIDI file", file_types=[".mid", ".midi"], type="filepath")
        reference = gr.Audio(
            sources=["upload", "microphone"],
            type="filepath",
            label="Reference singing or humming",
            visible=False,
        )
        reference_mode = gr.Radio(
            [FOLLOW, AS_NOTES],
            value=FOLLOW,
            label="Sing the reference",
            visible=False,
            info="Exactly: its own pitch curve (tuning, vibrato, slides). As notes: the notes read from it.",
        )
        read_notes = gr.Markdown(visible=False)
        with gr.Row():
            transpose = gr.Slider(
                -12,
                12,
                value=0,
                step=1,
                label="Transpose (semitones)",
                info="Move the tune into your range: −12 is an octave down.",
            )
            tempo = gr.Slider(0.5, 2.0, value=1.0, step=0.05, label="Tempo ×", info="Above 1 sings faster.")
        preview = gr.Button("▶ Preview melody", size="sm")
        preview_audio = gr.Audio(label="Melody preview (a plain tone)", interactive=False, visible=False)
        contour_plot = gr.Plot(label="Melody: notes, and a reference's own pitch curve", visible=False)

    def show_chosen(chosen: str):
        shown = [gr.update(visible=chosen == name) for name in SOURCES]
        reference_parts = [gr.update(visible=chosen == SOURCES[3])] * 3
        return [*shown, *reference_parts, gr.update(visible=False)]

    # Only the chosen source's input is shown (and a preview of another melody is hidden); a UI-only event,
    # off the conversion queue.
    source.change(
        show_chosen,
        inputs=source,
        outputs=[tune, text, midi, reference, reference_mode, read_notes, contour_plot, preview_audio],
        queue=False,
        api_visibility="private",
    )

    def read_reference(path):
        """The notes read from a new reference, put into the note-text box to edit (shown by a line)."""
        from demo.plots import melody_figure

        if not path:  # cleared: leave the note text and any preview as they are
            return gr.update(), gr.update(value=""), gr.update()
        try:
            melody = melodies.from_recording(load_audio(path))
        except (melodies.MelodyError, AudioInputError) as error:
            return gr.update(), gr.update(value=f"⚠ {error}"), None
        return (
            gr.update(value=melodies.to_note_text(melody)),
            gr.update(
                value=f"Read {len(melody.sung_notes)} notes from the recording ({melody.duration:.1f} s). They "
                "are in **Note text** now: edit them there and choose that source to sing your version."
            ),
            melody_figure(melody),
        )

    reference.change(
        read_reference,
        inputs=reference,
        outputs=[text, read_notes, contour_plot],
        queue=False,
        api_visibility="private",
    )
    controls = {
        "melody_source": source,
        "tune": tune,
        "note_text": text,
        "midi_file": midi,
        "reference_recording": reference,
        "reference_mode": reference_mode,
        "transpose": transpose,
        "tempo": tempo,
    }

    def preview_melody(*values):
        """The chosen melody as a tone and a plot, with transpose and tempo applied, as it will be sung."""
        from demo.plots import melody_figure

        try:
            melody = melody_from_inputs(**dict(zip(controls, values, strict=True)), limits=limits)
        except (melodies.MelodyError, AudioInputError) as error:
            raise gr.Error(str(error)) from None
        tone = melodies.melody_tone(melody)
        pcm = np.round(tone.samples * 32767).astype(
            np.int16
        )  # what Gradio would make of it, without a warning
        return gr.update(value=(tone.sr, pcm), visible=True), gr.update(
            value=melody_figure(melody), visible=True
        )

    def preview_outdated(chosen: str):
        """A changed tune, note, transpose or tempo makes the preview stale: hide it until asked again (a
        reference keeps the plot of the notes read from it)."""
        return gr.update(visible=False), gr.update(visible=chosen == SOURCES[3])

    previewing = preview.click(
        preview_melody,
        inputs=list(controls.values()),
        outputs=[preview_audio, contour_plot],
        api_visibility="private",
        concurrency_limit=2,
        show_progress_on=[preview_audio],
    )
    for control in (tune, text, midi, transpose, tempo):
        control.change(
            preview_outdated,
            source,
            [preview_audio, contour_plot],
            queue=False,
            api_visibility="private",
            cancels=[previewing],  # a preview still running would show the old melody
        )

    return controls


def melody_from_inputs(
    *,
    melody_source,
    tune,
    note_text,
    midi_file,
    reference_recording,
    transpose,
    tempo,
    limits: AudioLimits,
    reference_mode=FOLLOW,
):
    """The Melody the user chose; raises MelodyError / AudioInputError with an actionable sentence."""
    if melody_source == "Note text":
        if not (note_text or "").strip():
            raise melodies.MelodyError("Type some notes first, for example: C4/4 D4/4 E4/2.")
        chosen = melodies.parse_note_text(note_text)
    elif melody_source == "MIDI file":
        if not midi_file:
            raise melodies.MelodyError("Upload a MIDI file first, or choose another melody source.")
        chosen = melodies.from_midi(midi_file)
    elif melody_source == "Reference recording":
        if not reference_recording:
            raise melodies.MelodyError(
                "Upload or record the reference singing first, or choose another source."
            )
        chosen = melodies.from_recording(
            load_audio(reference_recording, limits=limits), follow=reference_mode != AS_NOTES
        )
    else:
        chosen = melodies.tune(tune)
    return chosen.transposed(int(transpose or 0)).at_tempo(float(tempo or 1.0)).validate()
