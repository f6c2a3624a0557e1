"""End to end in a real browser (Debian's Chromium through Playwright, tests/browser.py): a participant
takes a preference study from its link to the completion code, with a refused early vote and a reload
that resumes; the admin exports the answers and they are the ones clicked; the participant's form shows
each choice made (pixels and computed style, desktop and phone) with 44 px targets and no converter tab;
the admin tab gives the participant link, asks before closing and opens its report with a summary, while
Gradio's queue is full; a converter tab runs from upload to output audio and plot. Screenshots of every
step go to test-artifacts/browser/."""

import csv
import io

import numpy as np
import pytest

from tests.browser import chromium_page, open_tab
from tests.listening_server import PROFILE, Clock, answer_first_trial, launch_app, make_study

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
    page.get_by_role("combobox", name="Study").wait_for(timeout=20000)
    with page.expect_download(timeout=20000) as download:
        page.get_by_role("button", name="Export answers").click()
    shots(page, "admin-export")
    assert download.value.suggested_filename == "demo-answers.csv"
    # no Gradio file URL holds the answers: the browser fetched them with the token in a header
    assert not page.locator("a[href*='answers']").count()
    with open(download.value.path(), encoding="utf-8") as f:
        return list(csv.DictReader(f))


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


DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
CONVERTER_TABS = (
    "Vocoder check",
    "Speech → Singing",
    "Singing → Speech",
    "ICASSP",
    "AlignSTS",
    "Voice style",
    "Compare",
)


def pixels(locator) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB")).astype(int)


def changed(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels that differ visibly (by more than 24 of 255 levels in some channel) between two shots."""
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.mean(np.abs(a - b).max(axis=2) > 24))


def background(locator) -> str:
    return locator.evaluate("e => getComputedStyle(e).backgroundColor")


def small_targets(page) -> list[str]:
    """Every choice, button and text box of the participant page smaller than 44 × 44 px."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
                '.sb-study label.sb-choice, .sb-study button, .sb-study input[type=text]')]
            .map(e => [e.textContent.trim() || e.name, e.getBoundingClientRect()])
            .filter(([, r]) => r.height < 44 || r.width < 44).map(([t, r]) => `${t} ${r.width}x${r.height}`)"""
    )


def assert_the_checkbox_shows_its_state(page) -> None:
    agree, label = page.locator(".sb-agree"), page.locator("label:has(.sb-agree)")
    page.uncheck(".sb-agree")
    page.mouse.move(0, 0)  # no hover colour in the pictures
    off_box, off_label, off_colour = pixels(agree), pixels(label), background(label)
    page.check(".sb-agree")
    page.mouse.move(0, 0)
    assert changed(off_box, pixels(agree)) > 0.2, "a ticked box should look ticked"
    assert changed(off_label, pixels(label)) > 0.3 and background(label) != off_colour


def assert_a_checked_radio_looks_different(page, names: list[str]) -> None:
    """``names[0]`` has A checked, ``names[1]`` and ``names[2]`` have not: the two unchecked A's look the
    same (the control), the checked one looks different, in pixels and in computed style."""
    page.mouse.move(0, 0)
    label = [page.locator(f"label.sb-choice:has(input[name={n}][value=A])") for n in names]
    shots = [pixels(x) for x in label]
    assert changed(shots[1], shots[2]) < 0.02, "two unchecked options should look alike"
    assert changed(shots[0], shots[1]) > 0.3, "a checked option should look different from an unchecked one"
    assert background(label[0]) != background(label[1])
    dots = [pixels(page.locator(f"input[name={n}][value=A]")) for n in names[:2]]
    assert changed(*dots) > 0.1, "the radio button itself should show its dot"


# Notes every tab button drawn on screen, frame by frame from the first paint, until the page stops it.
WATCH_TABS = """window.sbTabsSeen = [];
const watch = () => {
    for (const b of document.querySelectorAll('[role=tab], .tab-wrapper button'))
        if (b.offsetParent && b.getBoundingClientRect().height > 0) window.sbTabsSeen.push(b.textContent.trim());
    if (!window.sbStopWatching) requestAnimationFrame(watch);
};
requestAnimationFrame(watch);"""


def test_the_participant_form_shows_each_choice_and_hides_the_converters(study_app, request):
    url = study_app
    with chromium_page(request.node.name) as (page, shots):
        page.add_init_script(WATCH_TABS)
        page.goto(f"{url}/?study=demo", wait_until="load")
        page.wait_for_selector(".sb-agree")
        assert page.evaluate("window.sbStopWatching = true; window.sbTabsSeen") == []  # not even one frame
        # the second layer alone: without the page's class, the load event has hidden every other tab
        page.evaluate("document.documentElement.classList.remove('sb-participant')")
        page.wait_for_function(
            "![...document.querySelectorAll('[role=tab]')].some(t => t.offsetParent && t.textContent.trim() "
            "!== 'Listening test')"
        )
        page.evaluate("document.documentElement.classList.add('sb-participant')")
        text = page.inner_text("body")
        assert not [name for name in CONVERTER_TABS if name in text], text[:400]
        assert "Songbridge" not in text and not page.get_by_text("Use via API").is_visible()
        for name in ("headphones", "native_language", "musical_training"):
            box = page.locator(f"input[name={name}]")
            style = box.evaluate(
                "e => [getComputedStyle(e).borderTopStyle, getComputedStyle(e).borderTopWidth]"
            )
            assert style[0] != "none" and float(style[1].rstrip("px")) >= 1, (name, style)
            box.fill("x")
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            assert_the_checkbox_shows_its_state(page)
            assert not small_targets(page), small_targets(page)
        shots(page, "consent-given")
        page.click(".sb-start")
        page.wait_for_selector(".sb-submit")
        page.check("input[name=intelligibility][value=A]")
        page.check("input[name=naturalness][value=tie]")
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            assert_a_checked_radio_looks_different(page, ["intelligibility", "melody", "speaker"])
            assert not small_targets(page), small_targets(page)
            shots(page, f"trial-{viewport['width']}px")


def seed_answers(data: str, listeners: int = 6) -> None:
    """``listeners`` participants who finish the study through the service, on a test clock, with answers
    that vary from trial to trial and listener to listener."""
    from evaluation.listening.service import ListeningService
    from evaluation.listening.store import Store

    clock = Clock()
    service = ListeningService(store=Store(root=data), clock=clock)
    for k in range(listeners):
        token = service.start(study_id="demo")
        service.consent(token=token, profile=PROFILE)
        for trial in range(50):
            state = service.state(token=token)
            if not state["next"]:
                break
            answer_first_trial(service, clock, token, ("A", "B", "tie")[(k + trial) % 3])
    service.store.close()


def test_the_admin_tab_links_confirms_and_summarises_while_the_queue_is_full(tmp_path, monkeypatch, request):
    import httpx

    data = make_study(tmp_path, seconds=0.5, trials=4, catch_rate=0.25)
    seed_answers(data)
    app = launch_app(monkeypatch, data, ADMIN)
    app._queue.max_size = 0  # as full as 64 waiting conversions: every queued event is refused
    url = app.local_url.rstrip("/")
    try:
        full = httpx.post(f"{url}/gradio_api/call/convert_world_sts", json={"data": []})
        assert full.status_code == 503 and "Queue is full" in full.text  # the queue really is full
        studies = httpx.post(f"{url}/gradio_api/run/admin_studies", json={"data": [ADMIN]}, timeout=30)
        assert studies.status_code == 200 and "demo" in studies.text  # the admin does not queue
        with chromium_page(request.node.name) as (page, shots):
            page.goto(url + "/", wait_until="load")
            open_tab(page, "Study admin")
            page.get_by_label("Admin token").fill(ADMIN)
            page.get_by_role("button", name="Load studies").click()
            link = page.locator("#sb-participant-link textarea")
            page.wait_for_function("document.querySelector('#sb-participant-link textarea').value !== ''")
            assert link.input_value() == f"{url}/?study=demo"
            page.get_by_role("button", name="Close…").click()
            confirm = page.get_by_role("button", name="Yes, close it")
            confirm.wait_for()
            shots(page, "close-asked")
            page.get_by_role("button", name="Cancel").click()
            confirm.wait_for(state="hidden")
            assert httpx.post(f"{url}/listening/api/session", json={"study": "demo"}).status_code == 200
            page.get_by_role("button", name="Close…").click()
            confirm.click()
            confirm.wait_for(state="hidden")
            refused = httpx.post(f"{url}/listening/api/session", json={"study": "demo"})
            assert refused.status_code == 409 and "closed" in refused.json()["error"]
            page.get_by_role("button", name="Analyse").click()
            page.wait_for_function("document.querySelector('#sb-report').innerText.includes('Summary')")
            report = page.locator("#sb-report")
            page.wait_for_function(
                "[...document.querySelectorAll('#sb-report img')].every(i => i.complete && i.naturalWidth > 0)"
            )
            images = report.locator("img").evaluate_all("i => i.map(x => [x.alt, x.naturalWidth])")
            shots(page, "report")
            text = report.inner_text()
    finally:
        app.close()
    assert len(images) >= 2 and all(width > 300 for _, width in images), images
    assert text.index("Summary") < text.index("Preference") and "6 listeners took part" in text
    assert "Which system listeners preferred" in text and "Overall order" in text
    assert not [word for word in text.split() if "e-" in word and word[0].isdigit()], "no 1.94e-10 numbers"


def test_an_arena_visitor_votes_blind_sees_the_names_after_each_vote_then_the_board_and_their_own_voice(
    tmp_path, monkeypatch, request
):
    from evaluation.listening.__main__ import main
    from evaluation.listening.synthetic import write_folder, write_study
    from tests.conftest import SPEECH_EXAMPLE

    systems = ["world-sts", "parekh-mse"]  # real converters: a visitor's recording is converted by both
    folder = write_folder(root=str(tmp_path / "layout"), systems=systems, items=["i1", "i2"], seconds=0.5)
    study = write_study(
        path=str(tmp_path / "arena.yaml"), folder=folder, kind="arena", systems=systems, items=["i1", "i2"],
        trials=2, catch_rate=0.0, participants={"per_address_per_hour": 1000}, arena={"uploads": True},
    )  # fmt: skip
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "init", study]) == 0
    app = launch_app(monkeypatch, data, ADMIN)
    url = app.local_url.rstrip("/")
    revealed = []

    def vote(page, pair: int, value: str) -> None:
        page.wait_for_selector(".sb-submit")
        text = page.inner_text(".sb-study")
        assert not any(s in text for s in systems), "a system was named before the vote"
        page.click(".sb-clips .sb-player:nth-child(1) button")
        page.click(".sb-clips .sb-player:nth-child(2) button")
        page.check(f"input[name=overall][value={value}]")
        page.wait_for_function("!document.querySelector('.sb-submit').disabled", timeout=30000)
        shots(page, f"pair-{pair}-voted")
        page.click(".sb-submit")
        page.wait_for_selector(".sb-reveal")
        revealed.append(page.inner_text(".sb-reveal"))
        assert page.inner_text(".sb-submit") == "Next pair"
        shots(page, f"pair-{pair}-revealed")
        page.click(".sb-submit")
        page.wait_for_selector(".sb-reveal", state="detached")  # the next page, not this one's button

    try:
        with chromium_page(request.node.name) as (page, shots):
            page.goto(f"{url}/?study=demo", wait_until="load")
            page.wait_for_selector(".sb-agree")
            assert not page.locator(".sb-study input[type=text]").count()  # an arena asks no questions
            page.check(".sb-agree")
            page.click(".sb-start")
            first_token = page.url.split("&p=")[1]
            for pair, value in enumerate(("A", "both_bad", "tie")):  # the familiarization pair and two votes
                vote(page, pair, value)
            page.wait_for_selector(".sb-table")
            board = page.inner_text(".sb-board")
            shots(page, "leaderboard")
            page.set_input_files(".sb-file", SPEECH_EXAMPLE)  # the visitor's own voice
            page.click(".sb-send")
            page.wait_for_selector(".sb-clips", timeout=60000)  # converted by both systems, then shown
            vote(page, 3, "B")  # the pair made of it, blind like the others
            page.wait_for_selector(".sb-table")
            page.click(".sb-more")  # another round: a new session
            page.wait_for_selector(".sb-agree")
            assert page.url.split("&p=")[1] != first_token
    finally:
        app.close()
    for text in revealed:
        named = [s for s in systems if s in text]
        assert text.startswith("A was") and len(named) == 2, text
    assert all(s in board for s in systems) and "needs" in board  # two votes rank nobody (min 20)
    assert "Screening:" in board
