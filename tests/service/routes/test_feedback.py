"""POST /feedback: taxonomy validation, 404 for unknown reports, durable storage."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.store import feedback

CORRECTION = {
    "id": "rpt-0000",
    "categories": ["grooming", "sextortion"],
    "primary": "sextortion",
    "urgency": "critical",
    "reviewer": "nguyen.thi.hoa",
    "note": "Đã xác minh với phụ huynh.",
}


def test_feedback_is_stored_against_the_latest_scoring(client, app, report):
    client.post("/score", json=report(0))
    client.post("/score", json=report(0))
    response = client.post("/feedback", json=CORRECTION)
    assert response.status_code == 201
    assert response.json()["id"] == "rpt-0000"
    with app.state.store.engine.connect() as connection:
        [row] = connection.execute(select(feedback)).mappings().all()
    assert row["scored_seq"] == 2
    assert row["categories"] == ["grooming", "sextortion"]
    assert (row["primary_category"], row["urgency"], row["reviewer"]) == ("sextortion", "critical", "nguyen.thi.hoa")


def test_feedback_for_a_report_never_scored_is_404(client):
    response = client.post("/feedback", json={**CORRECTION, "id": "never-seen"})
    assert response.status_code == 404
    assert "never scored" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"categories": ["none", "scam"], "primary": "scam"}, "only category"),
        ({"categories": ["scam"], "primary": "grooming"}, "not in categories"),
        ({"categories": ["scam", "grooming"], "primary": "scam"}, "most serious"),
        ({"categories": ["none"], "primary": "none", "urgency": "high"}, "urgency `low`"),
        ({"categories": ["scam", "scam"], "primary": "scam"}, "twice"),
        ({"categories": ["bullying"], "primary": "bullying"}, "Input should be"),
        ({"urgency": "urgent"}, "Input should be"),
        ({"categories": []}, "at least 1"),
        ({"reviewer": ""}, "at least 1"),
        ({"confidence": 0.9}, "Extra inputs"),
    ],
)
def test_feedback_is_checked_against_the_taxonomy(client, report, change, message):
    client.post("/score", json=report(0))
    response = client.post("/feedback", json={**CORRECTION, **change})
    assert response.status_code == 422
    assert any(message in problem["msg"] for problem in response.json()["detail"])


def test_feedback_needs_a_key(app):
    with TestClient(app) as client:
        assert client.post("/feedback", json=CORRECTION).status_code == 401
