"""Request limits: body size (413), text length and batch size (422), each with a clear message.

The body limit is enforced twice, when a route first reads the body (so the 413 is counted
under its endpoint): a declared Content-Length over the limit is refused before any byte is
read, and the bytes actually received are counted, so a chunked or lying client cannot pass.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.deps import SettingsDep
from service.schemas import BatchIn, ReportIn


def _too_large(limit: int) -> str:
    return f"request body is larger than the limit of {limit:,} bytes"


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; FastAPI passes HTTPExceptions through unchanged."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_too_large(limit))


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise BodyTooLarge(self.max_bytes)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited, send)


def _long_text(loc: tuple[Any, ...], text: str, limit: int) -> list[dict[str, Any]]:
    if len(text) <= limit:
        return []
    message = f"text has {len(text):,} characters; at most {limit:,} are accepted"
    return [{"loc": loc, "msg": message, "type": "string_too_long"}]


async def limited_report(
    report: ReportIn, settings: SettingsDep
) -> ReportIn:
    """The request's report, refused with a 422 when its text is over the length limit."""
    errors = _long_text(("body", "text"), report.text, settings.max_text_chars)
    if errors:
        raise RequestValidationError(errors)
    return report


async def limited_batch(batch: BatchIn, settings: SettingsDep) -> BatchIn:
    """The request's batch, refused with a 422 when too long or when any text is too long."""
    if len(batch.reports) > settings.max_batch:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "reports"),
                    "msg": f"a batch has at most {settings.max_batch} reports; this one has "
                    f"{len(batch.reports)}",
                    "type": "too_long",
                }
            ]
        )
    errors = [
        error
        for index, report in enumerate(batch.reports)
        for error in _long_text(("body", "reports", index, "text"), report.text, settings.max_text_chars)
    ]
    if errors:
        raise RequestValidationError(errors)
    return batch
