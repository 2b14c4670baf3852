"""Replacing the serving model at run time: `POST /admin/reload` and SIGHUP share this path."""

from __future__ import annotations

import logging
import signal
import threading

from service.holder import LoadedModel, ModelHolder, ModelLoadError
from service.metrics import ServiceMetrics

logger = logging.getLogger(__name__)


def reload_model(
    holder: ModelHolder, metrics: ServiceMetrics, uri: str | None, default_uri: str
) -> LoadedModel:
    """Verify and swap in the model at `uri` (default: the one serving, else `default_uri`).

    On failure the previous model keeps serving and `ModelLoadError` says why.
    """
    previous = holder.current
    target = uri or (previous.uri if previous else default_uri)
    try:
        loaded = holder.load(target)
    except ModelLoadError as error:
        metrics.reloads.labels("failed").inc()
        logger.error(
            "model reload refused; the previous model keeps serving",
            extra={"fields": {"model_uri": target, "error": str(error),
                              "model_version": previous.version if previous else None}},
        )
        raise
    metrics.reloads.labels("ok").inc()
    logger.info(
        "model reloaded",
        extra={"fields": {"model_uri": target, "model_version": loaded.version,
                          "previous_version": previous.version if previous else None}},
    )
    return loaded


def install_sighup_reload(holder: ModelHolder, metrics: ServiceMetrics, default_uri: str) -> None:
    """Reload on SIGHUP, in a thread so the event loop keeps answering meanwhile."""

    def reload_quietly() -> None:
        try:
            reload_model(holder, metrics, None, default_uri)
        except ModelLoadError:
            pass  # already logged; the old model serves on

    def on_sighup(_signum: int, _frame: object) -> None:
        threading.Thread(target=reload_quietly, name="sighup-reload", daemon=True).start()

    signal.signal(signal.SIGHUP, on_sighup)
