"""The assembled app: OpenAPI docs, request ids, and logs that never hold report text."""

from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient

SECRET = "Bé Mai lớp 4 trường Tiểu học Hoa Sen bị một tài khoản lạ dọa tung ảnh"


def test_docs_show_vietnamese_examples(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/score", "/score/batch", "/feedback", "/health", "/ready", "/model", "/metrics", "/admin/reload"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert "tuổi" in json.dumps(schemas["ReportIn"]["examples"], ensure_ascii=False)
    assert schemas["FeedbackIn"]["examples"][0]["primary"] in schemas["FeedbackIn"]["examples"][0]["categories"]
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"


def test_request_ids_are_made_or_kept(client):
    made = client.get("/health").headers["x-request-id"]
    assert len(made) == 32
    assert client.get("/health", headers={"X-Request-ID": "route-42"}).headers["x-request-id"] == "route-42"
    assert client.get("/health", headers={"X-Request-ID": "bad id;x"}).headers["x-request-id"] != "bad id;x"


def test_access_log_is_structured(client, report, caplog):
    with caplog.at_level(logging.INFO, logger="service.access"):
        response = client.post("/score", json=report(0))
    [record] = [r for r in caplog.records if r.name == "service.access"]
    assert record.fields["request_id"] == response.headers["x-request-id"]
    assert record.fields["endpoint"] == "/score" and record.fields["status"] == 200
    assert record.fields["model_version"] == response.json()["model_version"]
    assert record.fields["latency_ms"] > 0


def test_report_text_never_reaches_the_logs(make_app, caplog):
    app = make_app(max_text_chars=200)
    with caplog.at_level(logging.DEBUG), TestClient(app, headers={"X-API-Key": "test-scoring-key"}) as client:
        client.post("/score", json={"id": "s1", "text": SECRET, "metadata": {"victim_age": 9}})
        client.post("/score/batch", json={"reports": [{"id": "s2", "text": SECRET}]})
        client.post("/score", json={"id": "s3", "text": SECRET * 10})
        client.post("/score", json={"id": "s4", "text": SECRET, "unknown": True})
        client.post("/feedback", json={"id": "s1", "categories": ["sextortion"], "primary": "sextortion",
                                       "urgency": "high", "reviewer": "hoa", "note": None})
    assert caplog.records
    for record in caplog.records:
        assert SECRET not in json.dumps(vars(record), ensure_ascii=False, default=str)


def test_unknown_paths_are_404_under_a_bounded_label(client):
    assert client.get("/no/such/path").status_code == 404
    assert 'endpoint="other"' in client.get("/metrics").text
