"""Body, text and batch limits: each refused with a clear message, never a 500."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient


def _client(make_app, **settings):
    return TestClient(make_app(**settings), headers={"X-API-Key": "test-scoring-key"})


def test_declared_content_length_over_the_limit_is_413(client):
    response = client.post("/score", content=b"x" * 2_000_001, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "2,000,000 bytes" in response.json()["detail"]


def test_streamed_body_over_the_limit_is_413(client):
    chunks = iter([b"x" * 700_000] * 3)  # chunked: no Content-Length to trust
    response = client.post("/score/batch", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_limits_follow_settings(make_app, report):
    with _client(make_app, max_body_bytes=300, max_text_chars=50, max_batch=2) as client:
        body = json.dumps({"id": "r", "text": "x" * 400}).encode()
        assert client.post("/score", content=body, headers={"content-type": "application/json"}).status_code == 413
        assert client.post("/score", json={"id": "r", "text": "x" * 51}).status_code == 422
        assert client.post("/score", json={"id": "r", "text": "x" * 50}).status_code == 200
        batch = {"reports": [{"id": str(i), "text": "báo cáo"} for i in range(3)]}
        assert client.post("/score/batch", json=batch).status_code == 422


def test_a_body_within_the_limit_is_served(client, report):
    reports = [report(i) for i in range(256)]
    response = client.post("/score/batch", json={"reports": reports})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 256
