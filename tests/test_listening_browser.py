"""The participant page in a real browser (Chromium via Playwright): consent, questions, the
familiarization trial, the own player reporting play/ended, a reload that resumes, the completion code."""

import shutil

import pytest

from tests.listening_server import make_study

ATTRIBUTES = ("intelligibility", "naturalness", "melody", "speaker")


@pytest.fixture
def app_url(tmp_path, monkeypatch):
    from app import create_app

    monkeypatch.setenv("SONGBRIDGE_DATA_DIR", make_study(tmp_path, seconds=0.5, trials=2, catch_rate=0.5))
    app = create_app()
    app.launch(
        server_name="127.0.0.1",
        prevent_thread_lock=True,
        quiet=True,
        app_kwargs={"routes": app.listening_routes},
    )
    try:
        yield app.local_url.rstrip("/")
    finally:
        app.close()


def listen_and_answer(page, held=None) -> None:
    page.wait_for_selector(".sb-submit")
    assert page.is_disabled(".sb-submit")
    page.click(".sb-clips .sb-player:nth-child(1) button")
    page.click(".sb-clips .sb-player:nth-child(2) button")
    for name in ATTRIBUTES:
        page.check(f"input[name={name}][value=tie]")
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


def test_a_listener_completes_the_study_in_a_browser_and_resumes_after_a_reload(app_url):
    from playwright.sync_api import sync_playwright

    url = app_url
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "the browser test needs Chromium (packages-dev.txt installs it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--autoplay-policy=no-user-gesture-required", "--no-sandbox"]
        )
        page = browser.new_page()
        page.set_default_timeout(30000)
        held = []  # the first trial's "ended" reports, held back until the test lets them through

        def hold_ended(route):
            if route.request.post_data_json.get("event") == "ended" and len(held) < 2:
                held.append(route)
            else:
                route.continue_()

        page.route("**/listening/api/event", hold_ended)
        page.goto(f"{url}/?study=demo")
        page.wait_for_selector(".sb-agree")
        assert "&p=" in page.url  # the link now carries the participant token
        page.click(".sb-start", force=True)  # disabled until consent is given: nothing happens
        assert page.is_visible(".sb-agree")
        page.check(".sb-agree")
        for name in ("headphones", "native_language", "musical_training"):
            page.fill(f"input[name={name}]", "x")
        page.click(".sb-start")
        headings = []
        for trial in range(4):  # familiarization, two trials, one catch trial
            listen_and_answer(page, held if trial == 0 else None)
            headings.append(page.inner_text(".sb-study h3"))
            if trial == 1:
                page.reload()  # a lost page resumes at this same, unanswered trial
                page.wait_for_selector(".sb-submit")
                assert page.inner_text(".sb-study h3") == headings[-1]
                listen_and_answer(page)
            page.click(".sb-submit")
        page.wait_for_selector(".sb-code")
        code = page.inner_text(".sb-code")
        browser.close()
    assert headings[0].startswith("Familiarization") and headings[1] == "Trial 1 of 3"
    from evaluation.listening.store import Store

    store = Store()
    assert store.query("SELECT code FROM participants WHERE code IS NOT NULL")[0]["code"] == code
    assert store.query("SELECT COUNT(DISTINCT trial_id) AS n FROM answers")[0]["n"] == 4
    events = store.query("SELECT COUNT(*) AS n FROM play_events WHERE event = 'ended'")[0]["n"]
    assert events >= 8  # both clips of every trial ended, as the page reported them
