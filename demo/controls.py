"""Gradio controls built from a converter's Options dataclass: one source of truth for every knob."""

from __future__ import annotations

import gradio as gr

from models.base import OptionField, make_options, option_fields


def control_for(field: OptionField) -> gr.components.Component:
    common = {"label": field.label, "info": field.help, "value": field.default}
    if field.choices is not None:
        return gr.Radio(choices=list(field.choices), **common)
    if field.type is bool:
        return gr.Checkbox(**common)
    if field.type in (int, float) and field.minimum is not None and field.maximum is not None:
        step = field.step if field.step is not None else (1 if field.type is int else None)
        return gr.Slider(minimum=field.minimum, maximum=field.maximum, step=step, **common)
    if field.type in (int, float):
        return gr.Number(precision=0 if field.type is int else None, **common)
    return gr.Textbox(lines=2 if "lyrics" in field.name else 1, **common)


def build_controls(options_cls: type) -> tuple[list[str], list[gr.components.Component]]:
    """Render the controls (advanced ones in a closed accordion); returns field names and components."""
    fields = option_fields(options_cls)
    names, components = [], []
    for f in (f for f in fields if not f.advanced):
        names.append(f.name)
        components.append(control_for(f))
    advanced = [f for f in fields if f.advanced]
    if advanced:
        with gr.Accordion("Advanced", open=False):
            for f in advanced:
                names.append(f.name)
                components.append(control_for(f))
    return names, components


def options_from_values(options_cls: type, names: list[str], values: list) -> object:
    """The Options instance for the controls' current values; a bad value becomes a ``gr.Error``."""
    try:
        return make_options(options_cls, {n: v for n, v in zip(names, values, strict=True) if v is not None})
    except ValueError as error:
        raise gr.Error(f"Invalid setting: {error}.") from None
