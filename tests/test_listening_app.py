"""The listening tab and routes inside the real app: the routes answer beside Gradio, the admin tab's
events refuse callers without the token over /gradio_api/, and without a configured token they do not exist."""

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.listening_server import launch_app as launch
from tests.listening_server import make_study

ADMIN = "admin-token-for-tests"


def test_app_serves_the_study_routes_and_guards_every_admin_event(tmp_path, monkeypatch):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    data = make_study(tmp_path)
    app = launch(monkeypatch, data, ADMIN)
    try:
        url = app.local_url.rstrip("/")
        token = httpx.post(f"{url}/listening/api/session", json={"study": "demo"}).json()["token"]
        profile = {"headphones": "h", "native_language": "x", "musical_training": "0"}
        httpx.post(f"{url}/listening/api/consent", json={"token": token, "profile": profile})
        state = httpx.get(f"{url}/listening/api/state", params={"token": token}).json()
        assert state["total"] == 6 and state["study"]["type"] == "preference"
        assert httpx.get(f"{url}/?study=demo").status_code == 200
        # Gradio's own file route serves neither the database nor a stimulus by its path.
        clip = next((Path(data) / "studies" / "demo" / "stimuli").iterdir())
        for path in (Path(data) / "listening.sqlite", clip):
            assert httpx.get(f"{url}/gradio_api/file={path}").status_code in (403, 404)
        client = Client(app.local_url, verbose=False)
        for api in ("/admin_studies",):
            with pytest.raises(AppError, match="admin token is missing or wrong"):
                client.predict("", api_name=api)
            with pytest.raises(AppError, match="admin token is missing or wrong"):
                client.predict("guess", api_name=api)
        for api in ("/admin_progress", "/admin_report", "/admin_close"):
            with pytest.raises(AppError, match="admin token is missing or wrong"):
                client.predict("guess", "demo", api_name=api)
        with pytest.raises(AppError, match="admin token is missing or wrong"):
            client.predict("guess", "demo", "csv", api_name="/admin_export")
        table, _ = client.predict(ADMIN, api_name="/admin_studies")
        assert table["data"][0][0] == "demo"
        conditions, listeners = client.predict(ADMIN, "demo", api_name="/admin_progress")
        assert (
            sum(row[3] for row in conditions["data"]) == 4 and len(listeners["data"]) == 1
        )  # one listener so far
        text, _, figures = client.predict(ADMIN, "demo", api_name="/admin_report")
        assert text == "No answers yet." and figures == []
        exported = client.predict(ADMIN, "demo", "csv", api_name="/admin_export")
        assert Path(exported).read_text().startswith("participant,")
    finally:
        app.close()


def test_without_an_admin_token_there_is_no_admin_tab_or_endpoint(tmp_path, monkeypatch):
    data = make_study(tmp_path)
    app = launch(monkeypatch, data, None)
    try:
        info = httpx.get(app.local_url.rstrip("/") + "/gradio_api/info").json()
        assert not [name for name in info["named_endpoints"] if "admin" in name]
        config = httpx.get(app.local_url.rstrip("/") + "/config").json()
        labels = {c.get("props", {}).get("label") for c in config["components"]}
        assert "Admin token" not in labels
    finally:
        app.close()


def test_the_page_script_parses(tmp_path):
    node = shutil.which("node")
    assert node, "node is needed to check the participant page's script"
    source = Path("demo", "static", "listening.js").read_text()
    wrapped = tmp_path / "page.js"
    wrapped.write_text("(function (element) {\n" + source + "\n});\n")
    result = subprocess.run([node, "--check", str(wrapped)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
