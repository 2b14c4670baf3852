"""`POST /admin/reload`: swap in a verified model without a restart."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from service.auth import require_admin_key
from service.deps import HolderDep, MetricsDep, SettingsDep
from service.errors import error_responses
from service.holder import ModelLoadError
from service.lifecycle import reload_model
from service.schemas import ReloadIn, ReloadOut

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin_key)])


@router.post(
    "/reload",
    response_model=ReloadOut,
    responses=error_responses(400, 401, 403, 409, 413, 422),
)
def reload(
    holder: HolderDep, metrics: MetricsDep, settings: SettingsDep, body: ReloadIn | None = None
) -> ReloadOut:
    """Load, verify (manifest hash, smoke prediction) and only then replace the serving model."""
    previous = holder.current
    try:
        loaded = reload_model(holder, metrics, body.model_uri if body else None, settings.resolved_model_uri)
    except ModelLoadError as error:
        serving = previous.version if previous else "no model"
        raise HTTPException(409, detail=f"model not replaced ({serving} keeps serving): {error}") from error
    return ReloadOut(
        model_version=loaded.version,
        model_uri=loaded.uri,
        previous_version=previous.version if previous else None,
    )
