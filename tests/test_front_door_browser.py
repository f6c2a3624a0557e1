"""The demo's front door in Chromium, at a desktop (1366×900) and a phone (390×844) size: what people come for
leads, every tab is reachable without an overflow menu, examples play at once, only the chosen melody
source's input shows, and the melody can be heard before converting. Screenshots: test-artifacts/browser/."""

from __future__ import annotations

import pytest

from tests.browser import chromium_page, open_tab
from tests.listening_server import launch_app, make_study

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TOP_TABS = [
    "Speech → Singing",
    "Singing → Speech",
    "Voice style",
    "Compare",
    "Vocoder check",
    "Listening test",
]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    app = launch_app(monkeypatch, make_study(tmp_path_factory.mktemp("study"), seconds=0.5))
    try:
        yield app.local_url
    finally:
        app.close()
        monkeypatch.undo()


def visible_file_inputs(page) -> int:
    """Upload areas the user can see in the open tab (each gr.Audio/gr.File upload has one)."""
    return page.locator(
        ".tabitem:visible [data-testid='upload-button'], .tabitem:visible button.center:visible"
    ).count()


def test_on_a_desktop_speech_to_singing_leads_and_every_tab_is_in_the_row(app_url, request):
    with chromium_page(request.node.name, timeout_ms=60000) as (page, shots):
        page.set_viewport_size(DESKTOP)
        page.goto(app_url, wait_until="load")
        page.wait_for_selector("button[role=tab]")
        row = page.locator("#sb-main > .tab-wrapper [role=tab]:visible")
        assert [t.inner_text().strip() for t in row.all()][: len(TOP_TABS)] == TOP_TABS
        assert not page.get_by_role("button", name="More tabs").is_visible(), (
            "a tab hides in the overflow menu"
        )
        assert not page.locator(".sb-phone-nav").is_visible()
        shots(page, "landing")

        # the WORLD tab opens first; of the melody sources only the built-in tune's control shows
        tab = page.locator(".tabitem:visible").last
        assert tab.get_by_label("Built-in tune").first.is_visible()
        assert not tab.get_by_text("Reference singing or humming").is_visible()
        assert tab.locator("input[type=file]").count() >= 1
        assert tab.get_by_text("Drop Audio Here").count() == 1, (
            "a second upload box shows under 'Built-in tune'"
        )

        # Preview melody plays and plots the tune before any conversion
        tab.get_by_role("button", name="▶ Preview melody").click()
        tab.get_by_text("Melody preview (a plain tone)").wait_for()
        shots(page, "melody-preview")

        # an example sets voice, melody, transpose together and shows its output at once
        tab.get_by_role("button", name="Male speaker · Ode to Joy · transpose −5").click()
        page.wait_for_function("document.body.innerText.includes('Computed ahead for this example')")
        transpose = tab.get_by_label("Transpose (semitones)").first
        assert transpose.input_value() == "-5"
        assert tab.get_by_role("combobox", name="Built-in tune").input_value() == "Ode to Joy (Beethoven)"
        link = tab.locator('a[data-testid="download-link"][href*="_world-sts_"]').first
        link.wait_for(state="attached")
        assert "ode-to-joy" in link.get_attribute("href") and "transpose-5" in link.get_attribute("href")
        shots(page, "example-shown")


def test_on_a_phone_a_selector_reaches_every_tab(app_url, request):
    with chromium_page(request.node.name, timeout_ms=60000) as (page, shots):
        page.set_viewport_size(PHONE)
        page.goto(app_url, wait_until="load")
        page.wait_for_selector("button[role=tab]", state="attached")
        selector = page.get_by_label("Go to")
        selector.wait_for()
        assert not page.locator("#sb-main > .tab-wrapper").is_visible(), "the overflowing tab row shows"
        shots(page, "landing")
        selector.click()
        options = [o.inner_text().replace("✓", "").strip() for o in page.locator("ul[role=listbox] li").all()]
        assert options[: len(TOP_TABS)] == TOP_TABS
        page.locator("ul[role=listbox] li", has_text="Singing → Speech").click()
        page.wait_for_function(
            "[...document.querySelectorAll('#sb-main > .tab-wrapper [role=tab][aria-selected=true]')]"
            ".some(b => b.textContent.trim() === 'Singing → Speech')"
        )
        # the sub-tabs of a task fit a phone's width
        assert page.get_by_role("tab", name="Flow", exact=True).is_visible()
        shots(page, "singing-to-speech")


def test_the_world_tab_still_converts_an_upload_after_the_restructuring(app_url, request, tmp_path):
    import soundfile

    from evaluation.synthetic import vowel_chain

    speech = vowel_chain(5)
    wav = tmp_path / "my-voice.wav"
    soundfile.write(wav, speech.samples, speech.sr)
    with chromium_page(request.node.name, timeout_ms=60000) as (page, shots):
        page.set_viewport_size(DESKTOP)
        page.goto(app_url, wait_until="load")
        open_tab(page, "Speech → Singing")
        open_tab(page, "WORLD")
        tab = page.locator(".tabitem:visible").last
        tab.locator("input[type=file]").first.set_input_files(str(wav))
        tab.get_by_label("Note text").check()
        tab.get_by_placeholder("tempo=90").fill("tempo=120: C4/4 D4/4 E4/4 G4/4")
        tab.get_by_role("button", name="Convert").click()
        link = tab.locator('a[data-testid="download-link"][href*="my-voice_world-sts_note-text"]').first
        link.wait_for(state="attached")
        page.wait_for_function("document.body.innerText.includes('real-time factor')")
        tab.get_by_text("Output: world-sts · note text on my-voice").first.wait_for()  # relabelled just after
        shots(page, "converted")
        audio = page.request.get(link.get_attribute("href"))
        assert audio.status == 200 and audio.body()[:4] == b"RIFF" and len(audio.body()) > 44 + 2 * 22050


def test_compare_runs_every_converter_of_a_task_side_by_side(app_url, request):
    with chromium_page(request.node.name, timeout_ms=120000) as (page, shots):
        page.set_viewport_size(DESKTOP)
        page.goto(app_url, wait_until="load")
        open_tab(page, "Compare")
        tab = page.locator(".tabitem:visible").last
        shots(page, "opened")
        tab.get_by_role("button", name="Singing → Speech · Real singing").first.click()
        tab.get_by_role("button", name="Compare", exact=True).click()
        page.wait_for_function("document.body.innerText.includes('2 of 2 converters done')")
        for name in ("world-s2s", "s2s-flow"):
            tab.locator(f'a[data-testid="download-link"][href*="_{name}_"]').first.wait_for(state="attached")
        assert tab.get_by_text("real-time factor").count() >= 2
        shots(page, "compared")
