"""GET /health, /ready, /model and /metrics."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from classifier.artifacts import read_manifest


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_health_and_ready(client, model_dir):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "model_version": read_manifest(model_dir)["model_version"],
        "model_uri": str(model_dir),
    }


def test_ready_is_503_without_a_model_while_health_stays_200(make_app, tmp_path):
    app = make_app(model_dir=tmp_path / "no-model-here")
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["model_version"] is None


def test_model_card_comes_from_the_manifest(client, model_dir):
    manifest = read_manifest(model_dir)
    card = client.get("/model").json()
    assert card["model_version"] == manifest["model_version"]
    assert card["model_uri"] == str(model_dir)
    assert card["trained_at"] == manifest["created_at"]
    assert card["labels"] == manifest["labels"]
    assert card["thresholds"] == manifest["thresholds"]
    assert card["metrics"] == manifest["metrics"]


def test_model_card_needs_a_key(app):
    with TestClient(app) as client:
        assert client.get("/model").status_code == 401


def test_metrics_count_what_was_sent(client, report, model_dir):
    results = [client.post("/score", json=report(i)).json() for i in range(3)]
    batch = client.post("/score/batch", json={"reports": [report(5), report(6)]}).json()["results"]
    client.post("/score", json={"id": "x", "text": " "})
    client.post("/score", json=report(0), headers={"X-API-Key": "nope"})
    samples = _samples(client.get("/metrics").text)
    scored = results + batch

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("triage_requests_total", endpoint="/score", method="POST", status="200") == 3
    assert value("triage_requests_total", endpoint="/score/batch", method="POST", status="200") == 1
    assert value("triage_requests_total", endpoint="/score", method="POST", status="422") == 1
    assert value("triage_requests_total", endpoint="/score", method="POST", status="401") == 1
    assert value("triage_request_duration_seconds_count", endpoint="/score", method="POST", status="200") == 3
    assert value("triage_scored_reports_total") == 5
    assert value("triage_needs_review_total") == sum(r["needs_review"] for r in scored)
    predictions = {
        (r["primary"], r["urgency"]) for r in scored
    }
    for primary, urgency in predictions:
        expected = sum(1 for r in scored if (r["primary"], r["urgency"]) == (primary, urgency))
        assert value("triage_predictions_total", primary=primary, urgency=urgency) == expected
    version = read_manifest(model_dir)["model_version"]
    assert value("triage_model_info", model_version=version, model_uri=str(model_dir)) == 1


def test_each_app_has_its_own_registry(make_app, report):
    first, second = make_app(), make_app()
    with TestClient(first, headers={"X-API-Key": "test-scoring-key"}) as client:
        client.post("/score", json=report(0))
    with TestClient(second) as client:
        assert _samples(client.get("/metrics").text)[("triage_scored_reports_total", ())] == 0
