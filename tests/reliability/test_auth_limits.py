"""Keys on every protected route, keys kept out of logs, and limits that leave the server healthy.

Already covered in tests/service: missing/wrong/empty keys on /score and /score/batch, a
missing key on /model, the admin matrix (scoring key 403, unknown key 401, keyless loopback
mode), keys absent from in-process logs, and each limit once. Here: every protected route
against every kind of bad key, keys absent from responses and metrics too, and bursts of
oversize requests against a real server, which must keep answering afterwards.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from .conftest import ADMIN_KEY, API_KEY
from .server import Server

TEXT = "Có người lạ liên tục nhắn tin cho con tôi 12 tuổi, đòi cháu gửi ảnh và hẹn gặp riêng."
FEEDBACK = {"id": "a-1", "categories": ["grooming"], "primary": "grooming", "urgency": "high", "reviewer": "lan"}
ROUTES = [
    ("POST", "/score", {"id": "a-1", "text": TEXT}),
    ("POST", "/score/batch", {"reports": [{"id": "a-1", "text": TEXT}]}),
    ("POST", "/feedback", FEEDBACK),
    ("GET", "/model", None),
    ("POST", "/admin/reload", None),
]
BAD_KEYS = {
    "missing": {},
    "empty": {"X-API-Key": ""},
    "wrong": {"X-API-Key": "not-a-key"},
    "prefix": {"X-API-Key": API_KEY[:-1]},
    "suffix": {"X-API-Key": API_KEY + "x"},
    "upper case": {"X-API-Key": API_KEY.upper()},
    "bearer header": {"Authorization": f"Bearer {API_KEY}"},
    "other header": {"X-Api-Token": API_KEY},
}
BURST = 50


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def call(client: TestClient | httpx.Client, method: str, path: str, body: dict | None, headers: dict) -> httpx.Response:
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
@pytest.mark.parametrize("headers", BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_every_protected_route_refuses_a_bad_key(
    client: TestClient, method: str, path: str, body: dict | None, headers: dict[str, str]
) -> None:
    response = call(client, method, path, body, headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "ApiKey"


def test_a_key_as_query_parameter_is_not_a_key(client: TestClient) -> None:
    response = client.post("/score", params={"X-API-Key": API_KEY}, json={"id": "a-1", "text": TEXT})
    assert response.status_code == 401


def test_a_refused_admin_call_changes_nothing(client: TestClient, app: FastAPI) -> None:
    before = app.state.holder.current
    for headers in ({"X-API-Key": API_KEY}, {"X-API-Key": ADMIN_KEY[:-1]}, {}):
        assert client.post("/admin/reload", headers=headers).status_code in (401, 403)
    assert app.state.holder.current is before
    metrics = client.get("/metrics").text
    assert 'triage_model_reloads_total{outcome="ok"} 0.0' in metrics
    assert 'triage_model_reloads_total{outcome="failed"} 0.0' in metrics


def test_keys_appear_in_no_log_response_or_metric(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    """Valid, near-miss and admin keys on every route: none of them comes back anywhere."""
    keys = [API_KEY, ADMIN_KEY, API_KEY[:-1], ADMIN_KEY + "x"]
    answers = []
    with caplog.at_level(logging.DEBUG):
        for key in keys:
            for method, path, body in ROUTES:
                response = call(client, method, path, body, {"X-API-Key": key})
                answers.append(response.text + json.dumps(dict(response.headers)))
        metrics = client.get("/metrics").text
    logged = " ".join(json.dumps(vars(record), ensure_ascii=False, default=str) for record in caplog.records)
    for key in keys:
        assert key not in logged and key not in metrics
        assert not [answer for answer in answers if key in answer]


def oversize_requests(client: httpx.Client) -> list[Callable[[], httpx.Response]]:
    """Each documented limit, overstepped: (body 413, text 422, batch 422, chunked body 413)."""
    big_body = b"{" + b" " * 2_100_000 + b"}"
    return [
        lambda: client.post("/score", content=big_body, headers={"content-type": "application/json"}),
        lambda: client.post("/score", json={"id": "l-1", "text": "a" * 20_001}),
        lambda: client.post("/score/batch", json={"reports": [{"id": "l", "text": TEXT}] * 257}),
        lambda: client.post("/score/batch", content=iter([b" " * 700_000] * 3),
                            headers={"content-type": "application/json"}),
    ]


def test_a_burst_of_oversize_requests_leaves_a_real_server_healthy(served: Server) -> None:
    with httpx.Client(base_url=served.base, headers={"X-API-Key": API_KEY}, timeout=60) as client:
        kinds = oversize_requests(client)
        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(kinds[n % len(kinds)]) for n in range(BURST * len(kinds))]
            statuses = [future.result().status_code for future in futures]
        expected = [413, 422, 422, 413]
        assert statuses == [expected[n % len(kinds)] for n in range(len(statuses))]
        ready = client.get("/ready")
        scored = client.post("/score", json={"id": "l-ok", "text": TEXT})
    assert ready.status_code == 200
    assert scored.status_code == 200 and scored.json()["id"] == "l-ok"
    assert served.process is not None and served.process.poll() is None
