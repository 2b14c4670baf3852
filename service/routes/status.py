"""Liveness, readiness, the serving model's card, and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import JSONResponse, Response

from service.auth import require_api_key
from service.deps import HolderDep, MetricsDep, ModelDep
from service.errors import error_responses
from service.schemas import ModelOut, ReadyOut

router = APIRouter(tags=["status"])


@router.get("/health")
def health() -> dict[str, str]:
    """The process is up (it may still have no model: see /ready)."""
    return {"status": "ok"}


@router.get("/ready", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
def ready(holder: HolderDep) -> JSONResponse:
    """200 only when a verified model is loaded, so a load balancer never routes to one without."""
    loaded = holder.current
    if loaded is None:
        return JSONResponse({"status": "no_model", "model_version": None, "model_uri": None}, 503)
    return JSONResponse({"status": "ready", "model_version": loaded.version, "model_uri": loaded.uri})


@router.get(
    "/model",
    response_model=ModelOut,
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 403, 503),
)
def model_card(loaded: ModelDep) -> ModelOut:
    """What is serving: version, labels, thresholds and held-out metrics from its manifest."""
    manifest = loaded.manifest
    return ModelOut(
        model_version=loaded.version,
        model_uri=loaded.uri,
        trained_at=manifest.get("created_at"),
        loaded_at=loaded.loaded_at.isoformat(),
        labels=manifest.get("labels", []),
        urgency_levels=manifest.get("urgency_levels", []),
        thresholds=manifest.get("thresholds", {}),
        critical_threshold=manifest.get("critical_threshold"),
        metrics=manifest.get("metrics", {}),
    )


@router.get("/metrics", response_class=Response)
def metrics(service_metrics: MetricsDep) -> Response:
    """Prometheus text format; open like /health so scrapers need no key (no text in it)."""
    return Response(service_metrics.render(), media_type=CONTENT_TYPE_LATEST)
