"""Error responses: tidy 422s, a 503 when the audit store fails; no report text anywhere."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import JSONResponse

from service.schemas import ErrorOut, ValidationErrorOut

logger = logging.getLogger(__name__)

_RESPONSES: dict[int, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A body that cannot be decoded (not UTF-8)"},
    401: {"model": ErrorOut, "description": "Missing or invalid key (header X-API-Key)"},
    403: {"model": ErrorOut, "description": "A scoring key on an admin route, admin routes "
          "disabled, or a non-loopback client when no key is configured"},
    404: {"model": ErrorOut, "description": "The report id was never scored"},
    409: {"model": ErrorOut, "description": "The new model failed verification; the old one keeps serving"},
    413: {"model": ErrorOut, "description": "Body larger than TRIAGE_MAX_BODY_BYTES"},
    422: {"model": ValidationErrorOut,
          "description": "Invalid body: unknown field, empty or too long text, batch too big"},
    503: {"model": ErrorOut, "description": "No model loaded, or the audit store cannot record the result"},
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses=` of a route: each error status it can answer, with its body."""
    return {code: _RESPONSES[code] for code in codes}


async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
    """`loc`, `msg` and `type` per problem, without the default echo of the offending input.

    The input is the report text (up to 20,000 characters); the caller already has it, and
    anything that logs response bodies would otherwise log it too.
    """
    detail = [
        {"loc": list(item["loc"]), "msg": item["msg"], "type": item["type"]}
        for item in error.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


async def store_unavailable(request: Request, error: SQLAlchemyError) -> JSONResponse:
    """Nothing was committed, so nothing is acknowledged: the caller should retry."""
    logger.error(
        "audit store write failed",
        extra={"fields": {"request_id": getattr(request.state, "request_id", None),
                          "error": type(error).__name__}},
    )
    return JSONResponse(
        {"detail": "the audit store is unavailable; nothing was recorded, please retry"},
        status_code=503,
        headers={"Retry-After": "1"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(SQLAlchemyError, store_unavailable)
