"""Start the Songbridge web app: ``python app.py`` (settings from the environment; see README)."""

from __future__ import annotations

import os

# Offline by default: no analytics, version checks or hub look-ups at start.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# No run history in the browser: it would keep every input of every event, the admin token included.
os.environ.setdefault("GRADIO_RUN_HISTORY", "False")


def create_app():
    """Build the services and the Gradio app; nothing heavy runs until the first conversion."""
    import tempfile

    from demo.converter_tab import DemoServices
    from demo.layout import build_app
    from demo.storage import StorageLimits
    from evaluation.listening.routes import build_router
    from evaluation.listening.service import ListeningService
    from evaluation.listening.store import Store
    from models.features import AudioLimits
    from models.registry import default_registry

    storage = StorageLimits.from_env()
    registry = default_registry()
    services = DemoServices(
        registry=registry,
        output_dir=tempfile.mkdtemp(prefix="songbridge-out-"),
        limits=AudioLimits(max_seconds=float(os.environ.get("SONGBRIDGE_MAX_SECONDS", "60"))),
        conversion_concurrency=int(
            os.environ.get("SONGBRIDGE_CONVERSIONS", str(min(2, os.cpu_count() or 1)))
        ),
        max_upload_mb=storage.max_upload_mb,
    )
    # SONGBRIDGE_DATA_DIR, SONGBRIDGE_JOURNAL_MODE, SONGBRIDGE_DATABASE_URL; an arena's visitor recordings
    # are converted with the demo's own (already loaded) converters
    listening = ListeningService(store=Store(), registry=lambda: registry)
    app = build_app(services, listening=listening)
    # The listening routes (answers, play events, clips) are mounted beside Gradio at launch, off its queue.
    app.listening_routes = build_router(service=listening).routes
    app.storage, app.output_dir = storage, services.output_dir
    return app


def launch_kwargs(app) -> dict:
    """``app.launch``'s arguments that come from the app: the upload size limit, the listening routes, and
    the cleanup of old uploads and outputs (SONGBRIDGE_MAX_UPLOAD_MB, SONGBRIDGE_FILES_…)."""
    from demo.storage import cleanup_lifespan

    return {
        "max_file_size": app.storage.max_upload_bytes,
        "app_kwargs": {
            "routes": app.listening_routes,
            "lifespan": cleanup_lifespan(app.output_dir, app.storage),
        },
    }


def warm_up_vocoder() -> None:
    """Load HiFi-GAN in the background while the server starts: on a fresh machine that includes its
    OpenVINO conversion (about 10 s, then cached), which the first conversion would otherwise wait for."""
    import threading

    from models import vocoders

    threading.Thread(target=vocoders.hifigan, name="vocoder-warm-up", daemon=True).start()


def main() -> None:
    warm_up_vocoder()
    app = create_app()
    app.queue(max_size=int(os.environ.get("SONGBRIDGE_QUEUE_SIZE", "64")))
    app.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        show_error=True,
        **launch_kwargs(app),
    )


if __name__ == "__main__":
    main()
