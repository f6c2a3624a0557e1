"""The Compare tab: every converter of a task on one input, cards filled one by one with an output, timings
and reference-free scores; one converter's failure stays in its card; whole-run errors come first."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import gradio as gr
import numpy as np
import pytest
import soundfile

from demo.compare_tab import compare_tab
from demo.comparison import compare_tasks, run_comparison, summary_markdown
from demo.converter_tab import DemoServices
from models.base import Task
from models.errors import AudioInputError
from models.melody import Melody, Note, parse_note_text
from models.registry import Registry, default_registry
from tests.conftest import ROOT, SPEECH_EXAMPLE

SINGING_EXAMPLE = os.path.join(ROOT, "examples", "singing_world_arctic_slt_a0009.wav")
SHORT_TUNE = "tempo=120: C4/4 D4/4 E4/4"


@pytest.fixture(scope="module")
def services(tmp_path_factory) -> DemoServices:
    """One registry for the module: each converter loads once."""
    return DemoServices(registry=default_registry(), output_dir=str(tmp_path_factory.mktemp("outputs")))


def test_the_tab_builds_one_compare_tab_with_a_card_per_converter_of_the_largest_task(services):
    with gr.Blocks() as app, gr.Tabs() as tabs:
        compare_tab(services)
    [tab] = tabs.children
    assert isinstance(tab, gr.Tab) and tab.id == "compare" and tab.label == "Compare"
    assert Task.RESYNTHESIS not in compare_tasks(services.registry)
    largest = max(
        len(services.registry.names(task=t, available_only=True)) for t in compare_tasks(services.registry)
    )
    plots = [
        b for b in app.blocks.values() if isinstance(b, gr.Plot) and b.label == "Mel spectrograms with F0"
    ]
    assert len(plots) == largest
    [event] = [fn for fn in app.fns.values() if fn.api_name == "compare"]
    assert event.concurrency_id == "conversion" and event.validator is not None
    # the melody controls are named parameters of the API, as in the converter tabs
    assert {"melody_source", "tune", "note_text", "transpose", "tempo"} <= set(event.input_keyword_names)


def test_singing_to_speech_fills_each_card_in_turn_with_output_timings_and_scores(services):
    progress, finished = [], []
    for cards in run_comparison(
        services,
        Task.SINGING_TO_SPEECH,
        SINGING_EXAMPLE,
        progress=lambda f, words: progress.append((f, words)),
    ):
        finished.append([card.status for card in cards])
    assert finished == [["done", "waiting"], ["done", "done"]]  # a yield after each converter
    assert [c.name for c in cards] == ["world-s2s", "s2s-flow"]
    for card in cards:
        seconds = soundfile.info(card.output_path).duration
        assert 0.2 * 9.6 < seconds < 1.5 * 9.6, card.name  # speech of the sung words: not empty, not long
        text = card.markdown()
        assert "real-time factor" in text and "9.60 s in" in text
        assert "speaker similarity to the input" in text and "F0 range" in text and "(↑)" in text
        assert 0 <= card.scores["voiced_fraction"] <= 1 and -1 <= card.scores["speaker_similarity"] <= 1
    assert any("converter 1 of 2" in words for _, words in progress)
    assert any("converter 2 of 2" in words for _, words in progress)
    assert progress[-1][0] == 1.0 and all(a <= b for (a, _), (b, _) in itertools.pairwise(progress))


def test_speech_to_singing_scores_pitch_against_the_melody(services):
    melody = parse_note_text(SHORT_TUNE)
    *_, cards = run_comparison(
        services, Task.SPEECH_TO_SINGING, SPEECH_EXAMPLE, melody, names=["world-sts"], learned_scores=False
    )
    [card] = cards
    assert card.status == "done" and card.name == "world-sts"
    assert (
        abs(soundfile.info(card.output_path).duration - melody.duration) < 0.3
    )  # sung to the melody's length
    assert card.scores["pitch_accuracy"] > 0.3  # measured 0.63 on this input
    assert "pitch accuracy vs melody" in card.markdown() and "(↑)" in card.markdown()
    assert "speaker_similarity" not in card.scores  # learned scores off


# Converters that fail, to show that a card says why while the others still run.
@dataclass(frozen=True)
class NoOptions:
    pass


class TooQuiet:
    name, task, needs_melody, Options = "quiet", Task.SINGING_TO_SPEECH, False, NoOptions

    def convert(self, audio, *, melody=None, options=None, progress=None):
        raise AudioInputError("The singing is too quiet to convert; record it closer to the microphone.")


class Crashes(TooQuiet):
    def convert(self, audio, *, melody=None, options=None, progress=None):
        raise ZeroDivisionError("a bug")


def test_a_failing_converter_says_why_in_its_card_and_the_others_still_run(tmp_path):
    from models.converters import BUILTIN
    from models.registry import ConverterSpec

    world = next(s for s in BUILTIN if s.name == "world-s2s")
    registry = Registry(
        [
            ConverterSpec("quiet", Task.SINGING_TO_SPEECH, "Quiet", "refuses", f"{__name__}:TooQuiet"),
            ConverterSpec("crash", Task.SINGING_TO_SPEECH, "Crash", "has a bug", f"{__name__}:Crashes"),
            world,
        ]
    )
    services = DemoServices(registry=registry, output_dir=str(tmp_path))
    *_, cards = run_comparison(services, Task.SINGING_TO_SPEECH, SINGING_EXAMPLE, learned_scores=False)
    quiet, crash, good = cards
    assert quiet.status == "failed" and "too quiet to convert" in quiet.markdown()
    assert crash.status == "failed" and "failed unexpectedly (ZeroDivisionError)" in crash.markdown()
    assert good.status == "done" and os.path.isfile(good.output_path)
    assert "voiced frames" in good.markdown()


@pytest.mark.parametrize(
    ("task", "audio", "melody", "sentence"),
    [
        (Task.SINGING_TO_SPEECH, None, None, "Upload or record a voice first"),
        (Task.SPEECH_TO_SINGING, SPEECH_EXAMPLE, None, "Choose a melody"),
        (Task.SPEECH_TO_SINGING, SPEECH_EXAMPLE, Melody((Note(None, 0.0, 1.0),)), "has no notes"),
        (Task.SINGING_TO_SPEECH, __file__, None, "Could not read"),
    ],
)
def test_whole_run_errors_come_before_anything_runs(tmp_path, task, audio, melody, sentence):
    registry = default_registry()
    services = DemoServices(registry=registry, output_dir=str(tmp_path))
    with pytest.raises(gr.Error, match=sentence):
        next(run_comparison(services, task, audio, melody))
    assert not any(registry.is_loaded(n) for n in registry.names()) and not os.listdir(tmp_path)


def test_the_compare_endpoint_runs_through_gradio_with_the_melody_controls(services):
    from gradio_client import Client, handle_file

    from tests.listening_server import launch_locally

    with gr.Blocks() as app, gr.Tabs():
        compare_tab(services)
    app.queue()
    launch_locally(app)
    try:
        client = Client(app.local_url, verbose=False)
        summary, *cards = client.predict(
            audio_path=handle_file(SPEECH_EXAMPLE),
            task_name="SPEECH_TO_SINGING",
            learned_scores=False,
            melody_source="Note text",
            note_text=SHORT_TUNE,
            midi_file=None,
            reference_recording=None,
            api_name="/compare",
        )
    finally:
        app.close()
    names = services.registry.names(task=Task.SPEECH_TO_SINGING, available_only=True)
    assert f"{len(names)} of {len(names)} converters done" in summary
    assert all(f"`{n}`" in summary for n in names)
    outputs = [c for c in cards if isinstance(c, str) and c.endswith(".wav")]
    assert len(outputs) == len(names)
    for path in outputs:
        assert abs(soundfile.info(path).duration - 1.5) < 0.3, path  # three half-second notes


def test_the_summary_lists_unavailable_converters(services, tmp_path):
    from demo.comparison import Card, ComparisonPlan
    from models.features import Audio

    plan = ComparisonPlan(
        Task.SPEECH_TO_SINGING, Audio(np.zeros(22050, np.float32), 22050), None, ["a"], ["b"]
    )
    text = summary_markdown(plan, [Card("a", "A", "")])
    assert "0 of 1 converters done" in text and "Not available (no checkpoint): b." in text
