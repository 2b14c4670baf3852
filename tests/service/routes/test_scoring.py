"""POST /score and /score/batch: results, audit rows, limits and failures."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from classifier.model import RESULT_KEYS
from service.store import text_sha256


def test_score_returns_the_model_record_plus_latency(client, model, report):
    body = report(0, metadata={"channel": "web_form", "victim_age": 11})
    response = client.post("/score", json=body)
    assert response.status_code == 200
    result = response.json()
    assert set(result) == {*RESULT_KEYS, "latency_ms"}
    assert result["latency_ms"] > 0
    [expected] = model.score_reports([body["text"]], [body["id"]], [{"channel": "web_form", "victim_age": 11}])
    assert {k: v for k, v in result.items() if k != "latency_ms"} == json.loads(json.dumps(expected))


def test_stated_victim_age_reaches_the_model(client, report):
    without = client.post("/score", json=report(1)).json()
    with_age = client.post("/score", json=report(1, metadata={"victim_age": 9})).json()
    assert "urgency:age_under_13" not in without["signals"]
    assert "urgency:age_under_13" in with_age["signals"]


def test_batch_keeps_order_and_scores_in_one_call(client, app, report, monkeypatch):
    model = app.state.holder.current.model
    calls = []
    original = model.score_reports
    monkeypatch.setattr(model, "score_reports", lambda *a, **k: calls.append(1) or original(*a, **k))
    reports = [report(i) for i in range(6)]
    response = client.post("/score/batch", json={"reports": reports})
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [r["id"] for r in reports]
    assert response.json()["latency_ms"] > 0
    assert len(calls) == 1


def test_every_200_has_its_committed_audit_row(client, audit_rows, report):
    single = client.post("/score", json=report(0, metadata={"platform": "zalo", "reported_url": "https://x.vn/a"}))
    batch = client.post("/score/batch", json={"reports": [report(1), report(2)]})
    rows = audit_rows()
    assert len(rows) == 3
    by_request = {}
    for row in rows:
        by_request.setdefault(row["request_id"], []).append(row)
    [row] = by_request[single.headers["x-request-id"]]
    assert row["result"] == {k: v for k, v in single.json().items() if k != "latency_ms"}
    assert row["report_metadata"] == {"platform": "zalo", "reported_url": "https://x.vn/a"}
    assert row["text_sha256"] == text_sha256(report(0)["text"])
    assert row["model_version"] == single.json()["model_version"]
    assert [r["result"] for r in by_request[batch.headers["x-request-id"]]] == batch.json()["results"]


def test_the_same_report_scored_twice_keeps_both_rows(client, audit_rows, report):
    for _ in range(2):
        assert client.post("/score", json=report(0)).status_code == 200
    assert [row["report_id"] for row in audit_rows()] == ["rpt-0000", "rpt-0000"]


def test_text_is_stored_only_when_enabled(make_app, report):
    app = make_app(store_text=False)
    with TestClient(app, headers={"X-API-Key": "test-scoring-key"}) as client:
        client.post("/score", json=report(0))
    with app.state.store.engine.connect() as connection:
        text, digest = connection.exec_driver_sql("SELECT text, text_sha256 FROM scored_reports").one()
    assert text is None
    assert digest == text_sha256(report(0)["text"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "r1", "text": ""}, "text"),
        ({"id": "r1", "text": " \n\t "}, "text"),
        ({"id": "r1", "text": "x" * 20_001}, "text"),
        ({"id": "r1", "text": "báo cáo", "priority": "high"}, "priority"),
        ({"id": "r1", "text": "báo cáo", "metadata": {"school": "THCS A"}}, "school"),
        ({"id": "r1", "text": "báo cáo", "metadata": {"victim_age": -1}}, "victim_age"),
        ({"id": "", "text": "báo cáo"}, "id"),
        ({"text": "báo cáo"}, "id"),
    ],
)
def test_invalid_reports_are_422_with_the_field_named(client, body, field):
    response = client.post("/score", json=body)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"][-1] == field
    assert "input" not in problem


def test_too_long_text_says_the_limit(client):
    response = client.post("/score", json={"id": "r1", "text": "a" * 20_001})
    assert "at most 20,000" in response.json()["detail"][0]["msg"]


def test_batch_limits(client, report):
    too_many = client.post("/score/batch", json={"reports": [report(i) for i in range(257)]})
    assert too_many.status_code == 422
    assert "at most 256" in too_many.json()["detail"][0]["msg"]
    assert client.post("/score/batch", json={"reports": []}).status_code == 422
    long_one = client.post("/score/batch", json={"reports": [report(0), {"id": "x", "text": "a" * 20_001}]})
    assert long_one.status_code == 422
    assert long_one.json()["detail"][0]["loc"] == ["body", "reports", 1, "text"]
    assert client.post("/score/batch", json={"reports": [report(0)], "extra": 1}).status_code == 422


def test_malformed_json_is_422(client):
    response = client.post("/score", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}])
def test_scoring_needs_a_valid_key(app, report, headers):
    with TestClient(app) as client:
        assert client.post("/score", json=report(0), headers=headers).status_code == 401
        assert client.post("/score/batch", json={"reports": [report(0)]}, headers=headers).status_code == 401


def test_no_model_is_503(make_app, tmp_path, report):
    app = make_app(model_dir=tmp_path / "missing")
    with TestClient(app, headers={"X-API-Key": "test-scoring-key"}) as client:
        response = client.post("/score", json=report(0))
    assert response.status_code == 503


def test_store_failure_is_503_and_nothing_acknowledged(client, app, report, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(app.state.store, "record_scores", broken)
    response = client.post("/score", json=report(0))
    assert response.status_code == 503
    assert "nothing was recorded" in response.json()["detail"]


def test_unexpected_error_is_a_json_500_logged_without_text(client, app, caplog, monkeypatch):
    secret = "Bé Hoa 10 tuổi ở phường Tân Định bị đánh"

    def explode(texts, *_args, **_kwargs):
        raise RuntimeError(f"could not score {texts[0]}")

    monkeypatch.setattr(app.state.holder.current.model, "score_reports", explode)
    with caplog.at_level(logging.DEBUG):
        response = client.post("/score", json={"id": "r1", "text": secret})
    assert response.status_code == 500
    assert response.json()["request_id"] == response.headers["x-request-id"]
    logged = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert logged and logged[0].fields["error"] == "RuntimeError"
    assert all(secret not in json.dumps(vars(r), default=str) for r in caplog.records)
