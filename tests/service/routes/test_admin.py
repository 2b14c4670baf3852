"""POST /admin/reload: verified, atomic, authorised; and scoring never mixes two models."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from classifier.artifacts import read_manifest

ADMIN = {"X-API-Key": "test-admin-key"}


def test_reload_swaps_in_a_verified_model(client, model_dir, other_model_dir, report):
    old, new = read_manifest(model_dir)["model_version"], read_manifest(other_model_dir)["model_version"]
    response = client.post("/admin/reload", json={"model_uri": str(other_model_dir)}, headers=ADMIN)
    assert response.status_code == 200
    assert response.json() == {"model_version": new, "model_uri": str(other_model_dir), "previous_version": old}
    assert client.post("/score", json=report(0)).json()["model_version"] == new
    assert client.get("/ready").json()["model_version"] == new
    again = client.post("/admin/reload", headers=ADMIN)
    assert again.json()["model_uri"] == str(other_model_dir)


@pytest.mark.parametrize("target", ["tampered", "missing"])
def test_a_failed_reload_keeps_the_old_model(client, model_dir, tampered_model_dir, tmp_path, report, target):
    uri = str(tampered_model_dir if target == "tampered" else tmp_path / "nothing")
    old = read_manifest(model_dir)["model_version"]
    response = client.post("/admin/reload", json={"model_uri": uri}, headers=ADMIN)
    assert response.status_code == 409
    assert old in response.json()["detail"]
    assert ("does not match its manifest" if target == "tampered" else "not found") in response.json()["detail"]
    assert client.post("/score", json=report(0)).json()["model_version"] == old
    assert client.get("/ready").status_code == 200


def test_a_model_failing_the_smoke_prediction_is_refused(client, app, monkeypatch, other_model_dir):
    monkeypatch.setattr("service.holder.RESULT_KEYS", ("id", "a_key_no_model_returns"))
    response = client.post("/admin/reload", json={"model_uri": str(other_model_dir)}, headers=ADMIN)
    assert response.status_code == 409
    assert "a_key_no_model_returns" in response.json()["detail"]


def test_reload_brings_up_a_service_that_started_without_a_model(make_app, tmp_path, model_dir):
    app = make_app(model_dir=tmp_path / "empty")
    with TestClient(app, headers=ADMIN) as client:
        assert client.get("/ready").status_code == 503
        assert client.post("/admin/reload", json={"model_uri": str(model_dir)}).status_code == 200
        assert client.get("/ready").status_code == 200


def test_reload_body_rejects_unknown_fields(client):
    assert client.post("/admin/reload", json={"uri": "x"}, headers=ADMIN).status_code == 422


@pytest.mark.parametrize(
    ("settings", "headers", "client_host", "status"),
    [
        ({}, {}, "testclient", 401),
        ({}, {"X-API-Key": "wrong"}, "testclient", 401),
        ({}, {"X-API-Key": "test-scoring-key"}, "testclient", 403),
        ({"admin_keys": ""}, ADMIN, "testclient", 403),
        ({"admin_keys": "", "api_keys": ""}, {}, "127.0.0.1", 200),
        ({"admin_keys": "", "api_keys": ""}, {}, "203.0.113.9", 403),
        ({"api_keys": ""}, {}, "127.0.0.1", 401),
        ({"api_keys": ""}, ADMIN, "127.0.0.1", 200),
    ],
)
def test_admin_authorisation(make_app, settings, headers, client_host, status):
    app = make_app(**settings)
    with TestClient(app, client=(client_host, 50000)) as client:
        assert client.post("/admin/reload", headers=headers).status_code == status


def test_reload_during_concurrent_scoring_never_mixes_models(
    client, audit_rows, model_dir, other_model_dir, tampered_model_dir, report
):
    versions = {read_manifest(d)["model_version"] for d in (model_dir, other_model_dir)}
    targets = [other_model_dir, model_dir, tampered_model_dir, other_model_dir, model_dir, other_model_dir]
    stop = threading.Event()
    started = threading.Barrier(5)
    observations: list[tuple[dict, int, dict, dict, str]] = []
    reloads: list[int] = []

    def score_until_stopped(worker: int) -> None:
        started.wait()
        while True:
            last = stop.is_set()
            before = client.get("/model").json()
            body = {"reports": [report(worker + i) for i in range(3)]}
            response = client.post("/score/batch", json=body)
            after = client.get("/model").json()
            observations.append((before, response.status_code, response.json(), after, response.headers["x-request-id"]))
            if last:
                return

    def reload_repeatedly() -> None:
        started.wait()
        for target in targets:
            time.sleep(0.05)
            reloads.append(client.post("/admin/reload", json={"model_uri": str(target)}, headers=ADMIN).status_code)

    workers = [threading.Thread(target=score_until_stopped, args=(n,)) for n in range(4)]
    reloader = threading.Thread(target=reload_repeatedly)
    for thread in [*workers, reloader]:
        thread.start()
    reloader.join()
    stop.set()
    for thread in workers:
        thread.join()

    assert reloads == [200, 200, 409, 200, 200, 200]
    assert observations
    seen = set()
    for before, status, body, after, _ in observations:
        assert status == 200
        batch_versions = {result["model_version"] for result in body["results"]}
        assert len(batch_versions) == 1, "one batch was scored by two models"
        [version] = batch_versions
        assert version in versions
        if before["loaded_at"] == after["loaded_at"]:
            assert version == before["model_version"]
        seen.add(version)
    assert seen == versions
    recorded = {}
    for row in audit_rows():
        recorded.setdefault(row["request_id"], []).append(row["result"])
    for _, _, body, _, request_id in observations:
        assert recorded[request_id] == body["results"]
