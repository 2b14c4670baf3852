"""FastAPI dependencies: what each route needs, taken from the app that `create_app` built.

Routes never reach for globals, so tests can build several independent apps side by side.
Dependencies here (and in `auth.py`, `limits.py`) are `async def` because they only read app
state: FastAPI runs a plain `def` dependency in the thread pool, a thread hop per dependency
per request. (`POST /score` itself is `async` too; see `service/routes/scoring.py`.)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from classifier.settings import Settings
from service.holder import LoadedModel, ModelHolder
from service.metrics import ServiceMetrics
from service.store import AuditStore


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_holder(request: Request) -> ModelHolder:
    return request.app.state.holder


async def get_store(request: Request) -> AuditStore:
    return request.app.state.store


async def get_metrics(request: Request) -> ServiceMetrics:
    return request.app.state.metrics


async def current_model(request: Request, holder: Annotated[ModelHolder, Depends(get_holder)]) -> LoadedModel:
    """The model for this whole request, taken once: a reload meanwhile does not affect it."""
    loaded = holder.current
    if loaded is None:
        raise HTTPException(503, detail="no verified model is loaded; see /ready")
    request.state.model_version = loaded.version
    return loaded


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
HolderDep = Annotated[ModelHolder, Depends(get_holder)]
StoreDep = Annotated[AuditStore, Depends(get_store)]
MetricsDep = Annotated[ServiceMetrics, Depends(get_metrics)]
ModelDep = Annotated[LoadedModel, Depends(current_model)]
