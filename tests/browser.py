"""The one way browser tests start Chromium: Debian's build, headless, kept off the network.

Playwright's own browser download is never used (``executable_path``). A missing Chromium fails the
test with the command that installs it: a skipped browser test would check nothing. Screenshots go to
``test-artifacts/browser/<test>/`` in the checkout (git-ignored), printed at the end of each test.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test-artifacts", "browser"
)

# shared/research/dependency-checks.md §4: with these, Chromium made no DNS query under strace.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter,Translate",
    "--disable-domain-reliability",
    "--no-pings",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-client-side-phishing-detection",
    "--metrics-recording-only",
    "--password-store=basic",
    # The participant page plays clips after a click; headless has no user gesture to spend.
    "--autoplay-policy=no-user-gesture-required",
]


def require_chromium() -> str:
    if not os.path.isfile(CHROMIUM) or not os.access(CHROMIUM, os.X_OK):
        raise AssertionError(
            f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium` (packages-dev.txt), "
            "or point CHROMIUM_PATH at one. Browser tests fail rather than skip."
        )
    return CHROMIUM


class Shots:
    """Numbered full-page screenshots of one test, in its own artifacts folder."""

    def __init__(self, test_name: str) -> None:
        self.folder = os.path.join(ARTIFACTS, re.sub(r"[^A-Za-z0-9_.-]", "_", test_name))
        os.makedirs(self.folder, exist_ok=True)
        for old in os.listdir(self.folder):  # one run's pictures, not a mix of runs
            os.remove(os.path.join(self.folder, old))
        self.count = 0

    def __call__(self, page, step: str) -> str:
        self.count += 1
        path = os.path.join(self.folder, f"{self.count:02d}-{step}.png")
        page.screenshot(path=path, full_page=True)
        return path


@contextmanager
def chromium_page(test_name: str, *, timeout_ms: int = 30000):
    """``(page, shots)`` in a fresh headless Chromium; the browser is closed afterwards."""
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    shots = Shots(test_name)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            page.set_default_timeout(timeout_ms)
            yield page, shots
        finally:
            browser.close()
            print(f"\nscreenshots: {shots.folder} ({shots.count})")


def open_tab(page, name: str) -> None:
    """Select a Gradio tab by its label, also when it sits in the "More tabs" overflow menu."""
    page.wait_for_selector("button[role=tab]")  # the page is drawn after "load"
    tab = page.get_by_role("tab", name=name, exact=True)
    if tab.count():
        tab.click()
    else:
        page.get_by_role("button", name="More tabs").click()
        page.locator("button:visible", has_text=name).last.click()
    page.wait_for_function(
        "name => [...document.querySelectorAll('[role=tab][aria-selected=true], button.selected')]"
        ".some(b => b.textContent.trim() === name)",
        arg=name,
        timeout=10000,
    )
