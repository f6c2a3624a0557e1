"""The picture every converter tab shows: input and output mel spectrograms with F0 drawn over them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display on a server

import numpy as np
from matplotlib.figure import Figure

from models.base import ConversionResult
from models.features import HIFIGAN_MEL, F0Track, mel_bin_frequencies

F0_STYLES = {
    "input": {"color": "#38bdf8", "lw": 1.2, "label": "input F0"},
    "target": {"color": "#f8fafc", "lw": 1.6, "ls": "--", "label": "target F0"},
    "output": {"color": "#f97316", "lw": 1.2, "label": "output F0"},
}


def _f0_in_bins(track: F0Track, bin_hz: np.ndarray) -> np.ndarray:
    """Hz → fractional mel-bin index (NaN where unvoiced), so F0 lands on the harmonic it belongs to."""
    hz = np.where(track.hz > 0, track.hz, np.nan)
    return np.interp(hz, bin_hz, np.arange(len(bin_hz)), left=np.nan, right=np.nan)


def _panel(ax, mel: np.ndarray, title: str, tracks: dict[str, F0Track | None]) -> None:
    seconds = mel.shape[1] * HIFIGAN_MEL.frame_seconds
    ax.imshow(
        mel,
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=(0, seconds, -0.5, mel.shape[0] - 0.5),
        vmin=max(float(mel.min()), float(mel.max()) - 12.0),
    )
    bin_hz = mel_bin_frequencies(HIFIGAN_MEL)
    for kind, track in tracks.items():
        if track is not None and len(track.hz):
            ax.plot(track.times, _f0_in_bins(track, bin_hz), **F0_STYLES[kind])
    ticks_hz = [100, 250, 500, 1000, 2000, 4000, 8000]
    ax.set_yticks(np.interp(ticks_hz, bin_hz, np.arange(len(bin_hz))), [f"{t:g}" for t in ticks_hz])
    ax.set_ylabel("Hz (mel scale)")
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlim(0, seconds)
    if any(track is not None for track in tracks.values()):
        ax.legend(loc="upper right", fontsize=8, framealpha=0.5)


def conversion_figure(result: ConversionResult) -> Figure:
    """Two panels, input above output, each with its F0 (and the target F0 over the output)."""
    figure = Figure(figsize=(9, 5.2), layout="constrained")
    top, bottom = figure.subplots(2, 1)
    _panel(top, result.input_mel, "Input", {"input": result.input_f0})
    _panel(bottom, result.output_mel, "Output", {"target": result.target_f0, "output": result.output_f0})
    bottom.set_xlabel("seconds")
    return figure


def melody_figure(melody) -> Figure:
    """A melody's notes in MIDI pitch over seconds; for one read from a recording, its pitch curve (what
    "follow the recording exactly" sings) over the notes read from it (what "as notes" sings)."""
    from models.melody import hz_to_midi

    fig = Figure(figsize=(9, 2.6), layout="constrained")
    ax = fig.add_subplot()
    for note in melody.sung_notes:
        ax.plot([note.onset, note.end], [note.midi, note.midi], color="#94a3b8", lw=5, solid_capstyle="butt")
    if melody.recorded is not None:  # read from a recording: its own pitch curve over the notes read
        contour = melody.contour()
        pitch = np.where(contour.hz > 0, hz_to_midi(np.maximum(contour.hz, 1e-6)), np.nan)
        ax.plot(contour.times, pitch, color="#f97316", lw=1.2, label="pitch curve")
    ax.plot([], [], color="#94a3b8", lw=5, label="notes read" if melody.recorded is not None else "notes")
    ax.set_xlabel("seconds")
    ax.set_ylabel("MIDI pitch (60 = C4)")
    ax.legend(loc="upper right", fontsize=8)
    return fig
