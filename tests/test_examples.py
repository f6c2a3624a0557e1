"""The demo's examples: every tab's rows have an output computed ahead, none is stale, and a cached output is
what Convert gives today."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile

from demo import examples as bundled
from models.base import Task
from models.registry import default_registry


@pytest.fixture(scope="module")
def registry():
    return default_registry()


def test_every_tab_of_every_task_has_examples_and_each_has_a_current_cached_output(registry):
    rows = bundled.all_rows(registry)
    for task in registry.tasks():
        for tab, specs in registry.tabs(task).items():
            assert [r for r in rows if r.converter in {s.name for s in specs}], (
                f"no examples in the {tab} tab"
            )
    stale = [reason for reason in (bundled.stale_reason(row, registry) for row in rows) if reason]
    assert not stale, f"run `python -m demo.examples` and commit examples/cached: {stale}"


def test_speech_to_singing_examples_set_the_melody_and_one_is_a_real_sung_reference():
    examples = bundled.EXAMPLES[Task.SPEECH_TO_SINGING]
    assert all(e.melody is not None for e in examples)
    references = [e for e in examples if e.melody["melody_source"] == "Reference recording"]
    assert references and all(
        soundfile.info(bundled.example_path(e.melody["reference_recording"])) for e in references
    )
    assert any(e.melody["transpose"] != 0 for e in examples) and any(
        e.options.get("lyrics") for e in examples
    )


def test_a_tab_with_variants_shows_each_variant_in_its_examples(registry):
    specs = registry.tabs(Task.SPEECH_TO_SINGING)["ICASSP 2020"]
    rows = bundled.tab_rows(specs, registry)
    assert {r.converter for r in rows} == {s.name for s in specs}
    assert all(r.converter in r.label for r in rows)


def test_a_changed_input_makes_its_cached_output_stale(registry, tmp_path, monkeypatch):
    row = next(r for r in bundled.all_rows(registry) if r.converter == "world-sts")
    examples_dir = tmp_path / "examples"
    examples_dir.mkdir()
    for name in (
        row.example.voice,
        *(v for v in row.example.melody.values() if isinstance(v, str) and "." in v),
    ):
        shutil.copyfile(bundled.example_path(name), examples_dir / name)
    monkeypatch.setattr(bundled, "EXAMPLES_DIR", str(examples_dir))
    assert bundled.stale_reason(row, registry) is None
    (examples_dir / row.example.voice).write_bytes(b"changed")
    assert "inputs changed" in bundled.stale_reason(row, registry)


def test_the_cached_world_example_is_what_convert_gives_now(registry):
    row = next(
        r for r in bundled.all_rows(registry) if r.converter == "world-sts" and r.example.key == "awb-ode"
    )
    conversion = bundled.convert_example(row, registry)
    fresh = np.round(np.clip(conversion.result.audio.samples, -1, 1) * 32767).astype(np.int16)
    cached, sr = soundfile.read(row.cache_stem + ".flac", dtype="int16")
    assert sr == conversion.result.audio.sr and len(cached) == len(fresh)
    assert np.max(np.abs(cached.astype(int) - fresh.astype(int))) <= 1  # 16-bit rounding


def test_a_cached_example_loads_with_its_plot_timings_and_what_made_it(registry):
    row = next(r for r in bundled.all_rows(registry) if r.converter == "world-sts")
    conversion, path = bundled.load_cached(row)
    assert path.endswith(".flac") and conversion.result.audio.duration > 5
    assert conversion.result.output_mel.shape[0] == 80 and conversion.result.target_f0 is not None
    assert "world-sts" in conversion.made_by and "real-time factor" in conversion.report()


def test_the_app_builds_when_a_family_has_no_checkpoint(tmp_path):
    """A tab whose converters are all untrained says so instead of taking the app down with it."""
    import dataclasses

    from demo.converter_tab import DemoServices
    from demo.layout import build_app
    from models.converters import BUILTIN
    from models.registry import Registry

    specs = [
        dataclasses.replace(s, checkpoint=str(tmp_path / "missing.pt")) if s.name == "alignsts" else s
        for s in BUILTIN
    ]
    app = build_app(DemoServices(registry=Registry(specs), output_dir=str(tmp_path)))
    assert app is not None


def test_labels_name_only_the_options_their_converter_has(registry):
    world = bundled.tab_rows(registry.tabs(Task.SPEECH_TO_SINGING)["WORLD"], registry)
    alignsts = bundled.tab_rows(registry.tabs(Task.SPEECH_TO_SINGING)["AlignSTS"], registry)
    assert any("with lyrics" in r.label for r in world) and any("guide vocal" in r.label for r in world)
    assert not any("lyrics" in r.label or "guide" in r.label for r in alignsts)
