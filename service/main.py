"""`triage serve`: uvicorn on the app, refusing to start without a verified model."""

from __future__ import annotations

import logging

import uvicorn
from fastapi import FastAPI

from classifier.settings import Settings, get_settings
from service.app import create_app
from service.auth import is_loopback
from service.holder import ModelHolder, ModelLoadError
from service.lifecycle import install_sighup_reload
from service.logs import configure_logging

logger = logging.getLogger(__name__)
LOOPBACK = "127.0.0.1"


def bind_host(host: str, has_api_keys: bool) -> str:
    """`host`, unless authentication is off: then loopback, whatever was asked."""
    if has_api_keys or is_loopback(host):
        return host
    logger.warning(
        f"no API keys configured, so authentication is off: binding to {LOOPBACK} instead of "
        f"{host}. Set TRIAGE_API_KEYS or TRIAGE_API_KEY_FILE to serve other machines."
    )
    return LOOPBACK


def run(
    host: str | None = None,
    port: int | None = None,
    workers: int = 1,
    settings: Settings | None = None,
) -> int:
    """Serve until stopped; returns the exit status (non-zero when no model can be loaded).

    With one worker, SIGHUP reloads the model in place (verified first, like
    /admin/reload). With several, each worker process is built from the environment
    (`settings` is not passed on), SIGHUP makes uvicorn restart the workers, and
    /metrics is per worker.
    """
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    bind = bind_host(host or settings.host, bool(settings.keys()))
    port = settings.port if port is None else port
    options = {"host": bind, "port": port, "log_config": None, "access_log": False}
    if workers > 1:
        if not _verified(settings):
            return 1
        uvicorn.run("service.main:worker_app", factory=True, workers=workers, **options)
        return 0
    app = create_app(settings)
    holder = app.state.holder
    if holder.current is None:
        logger.error(f"cannot start without a verified model: {holder.last_error}")
        return 1
    install_sighup_reload(holder, app.state.metrics, settings.resolved_model_uri)
    logger.info(f"serving on http://{bind}:{port} (docs at /docs)")
    uvicorn.run(app, **options)
    return 0


def worker_app() -> FastAPI:
    """The app of one uvicorn worker process (`workers > 1`)."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)


def _verified(settings: Settings) -> bool:
    """Load the model once before forking, so a bad model stops `triage serve` at once."""
    holder = ModelHolder(settings.resolved_tracking_uri, settings.data_dir / "registry")
    try:
        holder.load(settings.resolved_model_uri)
    except ModelLoadError as error:
        logger.error(f"cannot start without a verified model: {error}")
        return False
    return True
