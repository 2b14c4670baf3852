"""`create_app(settings)`: the FastAPI app with its model, audit store, keys and metrics.

Everything an app needs hangs off `app.state` and reaches routes through dependencies, so
tests (and a process) can build several apps side by side without shared globals.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from classifier.settings import Settings, get_settings
from service.auth import KeyRing
from service.errors import install_error_handlers
from service.holder import ModelHolder, ModelLoadError
from service.limits import BodyLimitMiddleware
from service.metrics import ServiceMetrics
from service.observe import ObserveMiddleware
from service.routes import admin, feedback, scoring, status
from service.store import AuditStore

logger = logging.getLogger(__name__)

DESCRIPTION = """
Scores Vietnamese reports of harm to children online by harm category and urgency, before
the routing system assigns them to a member organisation.

* Send the scoring key in `X-API-Key` (admin routes take an admin key in the same header).
* Every 200 from `/score` and `/score/batch` means the audit row is committed.
* Report text is never logged; it is stored only when `TRIAGE_STORE_TEXT=true`.
* Limits: text 20,000 characters, 256 reports per batch, 2 MB per body (by default).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app and load the model now; without one it starts, but /ready says 503."""
    settings = settings or get_settings()
    holder = ModelHolder(settings.resolved_tracking_uri, settings.data_dir / "registry")
    metrics = ServiceMetrics(holder)
    store = AuditStore.from_settings(settings)
    keyring = KeyRing(settings.keys(), settings.admin_key_set())
    _load_initial_model(holder, settings.resolved_model_uri)
    if keyring.open:
        logger.warning(
            "authentication is OFF: no API keys configured (TRIAGE_API_KEYS, TRIAGE_API_KEY_FILE); "
            "only clients on this machine are served"
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="vi-report-triage scoring service",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.holder = holder
    app.state.metrics = metrics
    app.state.store = store
    app.state.keyring = keyring
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ObserveMiddleware, metrics=metrics, holder=holder)
    for module in (scoring, feedback, status, admin):
        app.include_router(module.router)
    return app


def _load_initial_model(holder: ModelHolder, uri: str) -> None:
    try:
        loaded = holder.load(uri)
    except ModelLoadError as error:
        logger.error(
            f"no verified model: {error}",
            extra={"fields": {"model_uri": uri}},
        )
        return
    logger.info(
        "model loaded",
        extra={"fields": {"model_uri": uri, "model_version": loaded.version}},
    )
