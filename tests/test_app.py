"""The app launches offline and a gradio_client call converts audio; bad input is refused, server lives on."""

import httpx
import numpy as np
import pytest
import soundfile

from tests.conftest import SPEECH_EXAMPLE
from tests.listening_server import launch_locally


@pytest.fixture(scope="module")
def client():
    from gradio_client import Client

    from app import create_app

    app = create_app()
    app.queue()
    launch_locally(app)
    try:
        yield Client(app.local_url, verbose=False)
    finally:
        app.close()


def convert(client, path, vocoder="hifigan", iterations=32):
    from gradio_client import handle_file

    # The previous-output State is not part of the API: the server keeps it per session.
    return client.predict(
        handle_file(path), "vocoder-check", vocoder, iterations, api_name="/convert_vocoder_check"
    )


def test_vocoder_check_returns_audio_a_plot_and_timings(client):
    output, previous, timings, plot, _live = convert(client, SPEECH_EXAMPLE)
    samples, sr = soundfile.read(output)
    original = soundfile.info(SPEECH_EXAMPLE)
    assert sr == 22050 and abs(len(samples) / sr - original.duration) < 0.05
    assert np.sqrt(np.mean(samples**2)) > 0.01
    assert previous is None
    assert "real-time factor" in timings and "hifigan" in timings
    assert plot is not None

    second = convert(client, SPEECH_EXAMPLE, vocoder="griffinlim", iterations=8)
    assert second[1] is not None and soundfile.info(second[1]).frames == len(samples)  # the previous output
    assert "griffinlim" in second[2]


def test_a_long_output_streams_piece_by_piece_before_the_finished_output(client, tmp_path):
    from gradio_client import handle_file

    samples, sr = soundfile.read(SPEECH_EXAMPLE, dtype="float32")
    long_input = tmp_path / "long.wav"
    soundfile.write(long_input, np.tile(samples, 3), sr)  # about 9 s: pieces of 1 s, 4 s and the rest
    job = client.submit(
        handle_file(str(long_input)), "vocoder-check", "hifigan", 32, api_name="/convert_vocoder_check"
    )
    job.result()
    *pieces, finished = job.outputs()
    assert len(pieces) == 3
    for piece in pieces:  # only the live player changes; the stream is served as an HLS playlist
        assert all(value == {"__type__": "update"} for value in piece[:4])
        assert str(piece[4]).endswith(".m3u8")
    assert abs(soundfile.info(finished[0]).duration - 3 * len(samples) / sr) < 0.05
    assert "real-time factor" in finished[2]


def test_bad_input_gets_a_sentence_and_the_server_keeps_serving(client, tmp_path):
    from gradio_client.exceptions import AppError

    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF....this is not audio")
    with pytest.raises(AppError, match="Could not read"):
        convert(client, str(junk))
    # the slider checks its range; since conversions ask admission before they queue (demo/admission.py),
    # Gradio reports that check as the join's 400, the sentence in its body
    with pytest.raises(httpx.HTTPStatusError) as refused:
        convert(client, SPEECH_EXAMPLE, iterations=0)
    assert refused.value.response.status_code == 400
    assert "less than minimum" in refused.value.response.json()["detail"]
    assert soundfile.info(convert(client, SPEECH_EXAMPLE)[0]).samplerate == 22050


def world_sts(client, melody_source: str, *, tune: str = "Frère Jacques", text: str = ""):
    """Call the WORLD tab's endpoint: input, variant, the melody section, then every option at its default."""
    from gradio_client import handle_file

    from demo.melody_input import FOLLOW
    from models.base import option_fields
    from models.dsp.world_sts import WorldSTSOptions

    # source, tune, text, MIDI, reference, reference mode, transpose, tempo
    melody_section = [melody_source, tune, text, None, None, FOLLOW, 0, 1.0]
    # The tab lists the plain options first, then the advanced ones (demo.controls.build_controls).
    defaults = [f.default for f in sorted(option_fields(WorldSTSOptions), key=lambda f: f.advanced)]
    return client.predict(
        handle_file(SPEECH_EXAMPLE), "world-sts", *melody_section, *defaults, api_name="/convert_world_sts"
    )


def test_world_speech_to_singing_tab_sings_a_built_in_tune(client):
    output, _, timings, _, _ = world_sts(client, "Built-in tune")
    info = soundfile.info(output)
    assert info.samplerate == 22050 and info.duration > 5
    assert "syllables found" in timings


def test_world_tab_refuses_bad_note_text_by_naming_the_token(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Token 2 'X9/4'"):
        world_sts(client, "Note text", text="C4/4 X9/4")


def test_the_api_names_each_parameter_after_its_control(client):
    from gradio_client import handle_file

    from models.base import option_fields
    from models.dsp.world_sts import WorldSTSOptions

    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/convert_world_sts"]
    names = [p["parameter_name"] for p in api["parameters"]]
    melody = ["melody_source", "tune", "note_text", "midi_file", "reference_recording", "reference_mode"]
    melody += ["transpose", "tempo"]
    assert names[:10] == ["audio_path", "variant_name", *melody]
    assert sorted(names[10:]) == sorted(f.name for f in option_fields(WorldSTSOptions))

    # Called by name, unnamed options keep their defaults: three notes of 0.5, 0.5 and 1 s give 2 s.
    output = client.predict(
        audio_path=handle_file(SPEECH_EXAMPLE), melody_source="Note text", note_text="60:0.5 62:0.5 64:1",
        midi_file=None, reference_recording=None, vibrato_extent_cents=0, api_name="/convert_world_sts",
    )[0]  # fmt: skip
    assert abs(soundfile.info(output).duration - 2.0) < 0.01


def test_voice_style_tab_takes_strength_and_vocoder(client):
    from gradio_client import handle_file

    # options in the tab's order: strength, vocoder, then the advanced Griffin-Lim iterations
    output, _, timings, _, _ = client.predict(
        handle_file(SPEECH_EXAMPLE), "vae-growl", 0.5, "griffinlim", 4, api_name="/convert_vae_growl"
    )
    info = soundfile.info(output)
    assert info.samplerate == 22050 and abs(info.duration - soundfile.info(SPEECH_EXAMPLE).duration) < 0.05
    assert "griffinlim" in timings and "strength 0.5" in timings
