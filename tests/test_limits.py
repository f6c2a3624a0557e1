"""What the app accepts and keeps on disk (issue 22): the upload size limit reaches Gradio, and old or
too many uploads and outputs are deleted, oldest first, sparing the bundled examples."""

from __future__ import annotations

import os
import time

import httpx
import pytest

from demo.storage import MB, StorageLimits, prune, sweep


def write_files(folder, sizes: list[int], *, start: float = 1_000_000.0) -> list[str]:
    """Files of ``sizes`` bytes, each one second newer than the last; returns their paths, oldest first."""
    paths = []
    for i, size in enumerate(sizes):
        path = os.path.join(folder, f"f{i}-{start}.bin")
        with open(path, "wb") as f:
            f.write(b"\0" * size)
        os.utime(path, (start + i, start + i))
        paths.append(path)
    return paths


def test_prune_deletes_the_oldest_first_until_the_rest_fit_the_bound(tmp_path):
    paths = write_files(tmp_path, [400, 300, 200, 100])
    deleted = prune(reversed(paths), max_age_s=1e9, max_bytes=350, now=1_000_010.0)
    assert deleted == paths[:2]
    assert [os.path.exists(p) for p in paths] == [False, False, True, True]
    assert sum(os.path.getsize(p) for p in paths[2:]) <= 350


def test_prune_deletes_what_is_older_than_the_age_bound_whatever_the_size(tmp_path):
    paths = write_files(tmp_path, [10, 10, 10])
    assert prune(paths, max_age_s=8.5, max_bytes=1e9, now=1_000_010.0) == paths[:2]  # 10 s and 9 s old


def test_prune_leaves_links_and_what_they_point_to_alone(tmp_path):
    (tmp_path / "keep").mkdir()
    target = write_files(tmp_path / "keep", [1000])[0]
    link = tmp_path / "link.wav"
    link.symlink_to(target)
    os.utime(link, (0, 0), follow_symlinks=False)
    assert prune([str(link)], max_age_s=60, max_bytes=0) == []
    assert os.path.exists(target) and os.path.lexists(link)


class FakeBlocks:
    """What the sweep reads from gr.Blocks: the sets of files it made, and blocks that keep files."""

    def __init__(self, temp_file_sets, kept=()):
        self.temp_file_sets = temp_file_sets
        self.blocks = {0: type("Block", (), {"keep_in_cache": set(kept)})()}


def test_sweep_bounds_uploads_and_outputs_together_sparing_examples_and_kept_files(tmp_path):
    cache, out = tmp_path / "gradio", tmp_path / "out"
    for d in ("a", "b", "c", "d"):
        (cache / d).mkdir(parents=True)
    now = time.time()
    # oldest first: the example, a kept file, an upload, an output, another upload, another output
    ages = {"a": 60, "b": 50, "c": 40, "d": 20}
    example, kept, upload, upload2 = (write_files(cache / d, [MB], start=now - t)[0] for d, t in ages.items())
    out.mkdir()
    outputs = [write_files(out, [MB], start=now - t)[0] for t in (30, 10)]
    uploads = {example, kept, upload, upload2}
    blocks = FakeBlocks([uploads, set()], kept={kept})
    limits = StorageLimits(max_total_mb=2.0, max_age_minutes=1e6)
    assert sweep(blocks, str(out), limits, spare={example}) == 2  # 4 MB of candidates: the 2 oldest go
    assert not os.path.exists(upload) and not os.path.exists(outputs[0])
    assert all(os.path.exists(p) for p in (example, kept, upload2, outputs[1]))
    assert uploads == {example, kept, upload2}  # Gradio no longer lists the deleted upload…
    assert not (cache / "c").exists()  # …nor keeps its empty folder
    assert sweep(blocks, str(out), limits, spare={example}, everything=True) == 2
    assert os.listdir(out) == [] and uploads == {example, kept}


def test_the_cleanup_sweeps_while_serving_and_deletes_all_but_the_examples_when_the_server_stops(tmp_path):
    import asyncio

    from demo.storage import cleanup_lifespan

    example = write_files(tmp_path, [10], start=time.time() - 1e6)[0]  # ancient, but there at the start
    uploads = {example}
    blocks = FakeBlocks([uploads])
    out = tmp_path / "out"
    out.mkdir()
    app = type("App", (), {"get_blocks": lambda self: blocks})()
    lifespan = cleanup_lifespan(str(out), StorageLimits(max_age_minutes=1, cleanup_seconds=0.05))

    async def serve() -> str:
        async with lifespan(app):
            old = write_files(tmp_path, [10], start=time.time() - 120)[0]  # an upload 2 minutes old
            uploads.add(old)
            new = write_files(out, [10], start=time.time())[0]  # a fresh output
            await asyncio.sleep(0.5)
            assert not os.path.exists(old) and os.path.exists(new) and os.path.exists(example)
        return new

    new = asyncio.run(serve())
    assert not os.path.exists(new) and not out.exists() and os.path.exists(example)


def test_storage_limits_come_from_the_environment():
    assert StorageLimits.from_env({}) == StorageLimits()
    assert StorageLimits().max_upload_bytes == 50 * 2**20
    limits = StorageLimits.from_env({"SONGBRIDGE_MAX_UPLOAD_MB": "5", "SONGBRIDGE_FILES_MAX_MB": "100"})
    assert limits.max_upload_bytes == 5 * 2**20 and limits.max_total_mb == 100
    with pytest.raises(ValueError, match="SONGBRIDGE_FILES_MAX_AGE_MINUTES must be a positive number"):
        StorageLimits.from_env({"SONGBRIDGE_FILES_MAX_AGE_MINUTES": "0"})


@pytest.fixture(scope="module")
def small_app():
    """The real app, launched as ``python app.py`` launches it, with a 20 KB upload limit, 50 KB of
    uploads and outputs at most, and a sweep every 0.2 s."""
    from app import create_app, launch_kwargs
    from tests.listening_server import launch_locally

    settings = {"SONGBRIDGE_MAX_UPLOAD_MB": "0.02", "SONGBRIDGE_FILES_MAX_MB": "0.05",
                "SONGBRIDGE_CLEANUP_SECONDS": "0.2"}  # fmt: skip
    with pytest.MonkeyPatch.context() as mp:
        for name, value in settings.items():
            mp.setenv(name, value)
        app = create_app()
        app.examples_at_start = {p for s in app.temp_file_sets for p in s}  # the bundled examples' copies
        launch_locally(app, **launch_kwargs(app))
    try:
        yield app
    finally:
        app.close()


def upload(url: str, size: int) -> httpx.Response:
    """Upload ``size`` random bytes (Gradio stores uploads by their content: each must differ)."""
    return httpx.post(f"{url}/gradio_api/upload", files={"files": ("take.wav", os.urandom(size))}, timeout=30)


def test_the_upload_limit_reaches_gradio_and_is_said_in_the_tabs(small_app):
    url = small_app.local_url.rstrip("/")
    config = httpx.get(f"{url}/config", timeout=30).json()
    assert config["max_file_size"] == int(0.02 * MB)
    assert any("files up to 0.02 MB" in str(c.get("props", {}).get("value")) for c in config["components"])
    assert upload(url, 30_000).status_code == 413
    assert upload(url, 10_000).status_code == 200


def test_old_uploads_are_deleted_oldest_first_and_the_examples_kept(small_app):
    url = small_app.local_url.rstrip("/")
    examples = small_app.examples_at_start
    assert examples and all(os.path.exists(p) for p in examples)
    paths = []
    for _ in range(8):  # 8 × 15 KB against a bound of 50 KB
        response = upload(url, 15_000)
        assert response.status_code == 200
        paths += response.json()
        time.sleep(0.05)
    deadline = time.time() + 10
    while time.time() < deadline and os.path.exists(paths[-4]):
        time.sleep(0.1)
    kept = [os.path.exists(p) for p in paths]
    assert kept == [False] * 5 + [True] * 3, kept  # 3 × 15 KB ≤ 50 KB (decimal-binary: 0.05 MB = 52,428 B)
    assert all(os.path.exists(p) for p in examples)
