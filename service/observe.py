"""Per-request bookkeeping: request id, one JSON access log line, metrics, last-resort 500.

It wraps everything else, so every response (401, 413, 422, 503...) is counted and logged.
The log line names the endpoint, never the body: report text cannot reach the logs here.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.holder import ModelHolder
from service.metrics import ServiceMetrics

logger = logging.getLogger("service.access")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
REQUEST_ID_HEADER = "X-Request-ID"


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, holder: ModelHolder) -> None:
        self.app = app
        self.metrics = metrics
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = incoming if incoming and REQUEST_ID.match(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state.update(request_id=request_id, started=started)
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:  # noqa: BLE001 - last resort: answer 500, log without text
            _log_unexpected(error, request_id)
            if not response_started:
                body = {"detail": "internal error; it has been logged", "request_id": request_id}
                await JSONResponse(body, 500)(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            endpoint = _endpoint(scope)
            self.metrics.observe_request(endpoint, scope["method"], status, seconds)
            loaded = self.holder.current
            logger.info(
                "request",
                extra={"fields": {
                    "request_id": request_id,
                    "method": scope["method"],
                    "endpoint": endpoint,
                    "status": status,
                    "latency_ms": round(seconds * 1000, 2),
                    "model_version": state.get("model_version") or (loaded.version if loaded else None),
                }},
            )


def _endpoint(scope: Scope) -> str:
    """The route's path template, or "other": metric labels stay bounded whatever is asked."""
    return getattr(scope.get("route"), "path", None) or "other"


def _log_unexpected(error: Exception, request_id: str) -> None:
    """Exception type and code locations only: a message could quote the report."""
    frames = [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(error.__traceback__)]
    logger.error(
        "unhandled error",
        extra={"fields": {"request_id": request_id, "error": type(error).__name__, "trace": frames[-8:]}},
    )
