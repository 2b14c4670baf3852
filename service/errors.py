"""Error responses: tidy 422s, a 503 when the audit store fails; no report text anywhere."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import JSONResponse

logger = logging.getLogger(__name__)


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
