"""`POST /feedback`: reviewers' corrections, stored next to what was predicted."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from service.auth import require_api_key
from service.deps import MetricsDep, StoreDep
from service.errors import error_responses
from service.schemas import FeedbackIn, FeedbackOut
from service.store import Correction

router = APIRouter(tags=["feedback"], dependencies=[Depends(require_api_key)])


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackOut,
    responses=error_responses(400, 401, 403, 404, 413, 422, 503),
)
def add_feedback(body: FeedbackIn, store: StoreDep, metrics: MetricsDep) -> dict:
    """Record a correction of the latest scoring of a report (committed before the 201)."""
    stored = store.add_feedback(
        Correction(body.id, list(body.categories), body.primary, body.urgency, body.reviewer, body.note)
    )
    if stored is None:
        raise HTTPException(404, detail=f"report {body.id!r} was never scored")
    metrics.feedback.inc()
    return stored
