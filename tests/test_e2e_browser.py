"""End to end in a real browser (Debian's Chromium through Playwright, tests/browser.py): a participant
takes a preference study from its link to the completion code, with a refused early vote and a reload
that resumes; the admin exports the answers and they are the ones clicked; a converter tab runs from
upload to output audio and plot. Screenshots of every step go to test-artifacts/browser/."""

import csv
import io

import pytest

from tests.browser import chromium_page, open_tab
from tests.listening_server import launch_app, make_study

ATTRIBUTES = ("intelligibility", "naturalness", "melody", "speaker")
ADMIN = "e2e-admin-token"


@pytest.fixture
def study_app(tmp_path, monkeypatch):
    data = make_study(tmp_path, seconds=0.5, trials=2, catch_rate=0.5)
    app = launch_app(monkeypatch, data, ADMIN)
    try:
        yield app.local_url.rstrip("/")
    finally:
        app.close()


def choices(trial: int) -> dict[str, str]:
    """Different answers per trial and attribute, so the export can be matched click by click."""
    return {name: ("A", "tie", "B")[(trial + k) % 3] for k, name in enumerate(ATTRIBUTES)}


def listen_and_answer(page, values: dict[str, str], held=None) -> None:
    page.wait_for_selector(".sb-submit")
    assert page.is_disabled(".sb-submit")
    page.click(".sb-clips .sb-player:nth-child(1) button")
    page.click(".sb-clips .sb-player:nth-child(2) button")
    for name, value in values.items():
        page.check(f"input[name={name}][value={value}]")
    if held is not None:  # both clips ended, their reports not yet stored: Next must wait for them
        for _ in range(200):
            if len(held) == 2:
                break
            page.wait_for_timeout(50)
        assert len(held) == 2, "both clips should have reported ended"
        page.wait_for_timeout(300)
        assert page.is_disabled(".sb-submit")
        for route in held:
            route.continue_()
    page.wait_for_function("!document.querySelector('.sb-submit').disabled", timeout=10000)


def early_vote(page) -> dict:
    """What the server says to an answer sent from the page before any clip was played."""
    return page.evaluate(
        """async (attributes) => {
            const token = new URLSearchParams(location.search).get("p");
            const state = await (await fetch("/listening/api/state?token=" + token)).json();
            const values = Object.fromEntries(attributes.map((a) => [a, "A"]));
            const r = await fetch("/listening/api/answer", {method: "POST",
                headers: {"Content-Type": "application/json"},
                body: JSON.stringify({token, trial_id: state.next.trial_id, values})});
            return {status: r.status, body: await r.json()};
        }""",
        list(ATTRIBUTES),
    )


def export_through_the_admin_tab(page, url: str, shots) -> list[dict]:
    page.goto(url + "/", wait_until="load")
    open_tab(page, "Study admin")
    page.get_by_label("Admin token").fill(ADMIN)
    page.get_by_role("button", name="Load studies").click()
    page.wait_for_function("document.body.innerText.includes('Synthetic preference study')", timeout=20000)
    page.get_by_role("button", name="Export answers").click()
    link = page.locator("a[href*='demo-answers.csv']").first
    link.wait_for(state="attached", timeout=20000)
    shots(page, "admin-export")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    return list(csv.DictReader(io.StringIO(response.text())))


def test_a_participant_completes_a_study_and_the_admin_exports_what_was_clicked(study_app, request):
    url = study_app
    clicked: dict[tuple[int, str], str] = {}
    with chromium_page(request.node.name) as (page, shots):
        held = []  # the first trial's "ended" reports, held back until the test lets them through

        def hold_ended(route):
            if route.request.post_data_json.get("event") == "ended" and len(held) < 2:
                held.append(route)
            else:
                route.continue_()

        page.route("**/listening/api/event", hold_ended)
        page.goto(f"{url}/?study=demo", wait_until="load")
        page.wait_for_selector(".sb-agree")
        assert "&p=" in page.url  # the link now carries the participant token
        shots(page, "consent")
        page.click(".sb-start", force=True)  # disabled until consent is given: nothing happens
        assert page.is_visible(".sb-agree")
        page.check(".sb-agree")
        for name in ("headphones", "native_language", "musical_training"):
            page.fill(f"input[name={name}]", "x")
        shots(page, "consent-given")
        page.click(".sb-start")
        page.wait_for_selector(".sb-submit")
        refused = early_vote(page)  # the Next button is disabled; a hand-made request is refused too
        assert refused["status"] == 409 and "play clip A" in refused["body"]["error"], refused
        shots(page, "first-trial-unplayed")
        headings = []
        for trial in range(4):  # familiarization, two trials, one catch trial
            values = choices(trial)
            listen_and_answer(page, values, held if trial == 0 else None)
            headings.append(page.inner_text(".sb-study h3"))
            if trial == 1:
                page.reload()  # a lost page resumes at this same, unanswered trial
                page.wait_for_selector(".sb-submit")
                assert page.inner_text(".sb-study h3") == headings[-1]
                shots(page, "resumed-after-reload")
                listen_and_answer(page, values)
            shots(page, f"trial-{trial}-answered")
            page.click(".sb-submit")
            clicked.update({(trial, name): value for name, value in values.items()})
        page.wait_for_selector(".sb-code")
        code = page.inner_text(".sb-code")
        shots(page, "completion-code")
        rows = export_through_the_admin_tab(page, url, shots)
    assert headings[0].startswith("Familiarization") and headings[1] == "Trial 1 of 3"
    exported = {(int(r["position"]), r["attribute"]): r["value"] for r in rows}
    assert len(rows) == len(clicked) == 16 and exported == clicked
    from evaluation.listening.store import Store

    store = Store()
    assert store.query("SELECT code FROM participants WHERE code IS NOT NULL")[0]["code"] == code
    events = store.query("SELECT COUNT(*) AS n FROM play_events WHERE event = 'ended'")[0]["n"]
    assert events >= 8  # both clips of every trial ended, as the page reported them


def test_the_world_speech_to_singing_tab_runs_from_upload_to_audio_and_plot(tmp_path, monkeypatch, request):
    import soundfile

    from evaluation.synthetic import vowel_chain

    speech = vowel_chain(5)
    wav = tmp_path / "my-voice.wav"
    soundfile.write(wav, speech.samples, speech.sr)
    app = launch_app(monkeypatch, make_study(tmp_path, seconds=0.5))
    try:
        with chromium_page(request.node.name, timeout_ms=60000) as (page, shots):
            page.goto(app.local_url, wait_until="load")
            open_tab(page, "Speech → Singing (WORLD)")
            tab = page.locator(".tabitem:visible")
            tab.locator("input[type=file]").first.set_input_files(str(wav))
            tab.get_by_label("Note text").check()
            tab.get_by_placeholder("tempo=90").fill("tempo=120: C4/4 D4/4 E4/4 G4/4")
            shots(page, "uploaded")
            tab.get_by_role("button", name="Convert").click()
            link = tab.locator('a[data-testid="download-link"][href*="world-sts-"]').first
            link.wait_for(state="attached")
            tab.locator(".js-plotly-plot, img[src^='data:image'], canvas").first.wait_for(state="attached")
            page.wait_for_function("document.body.innerText.includes('real-time factor')")
            shots(page, "converted")
            audio = page.request.get(link.get_attribute("href"))
            assert audio.status == 200 and audio.body()[:4] == b"RIFF" and len(audio.body()) > 44 + 2 * 22050
    finally:
        app.close()
