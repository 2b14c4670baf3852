"""The audit store: durability settings, append-only rows, and the feedback export."""

from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient

from classifier.taxonomy import CATEGORIES, URGENCY_LEVELS, most_serious
from service.store import AuditStore, Correction, ScoredReport, export_feedback, predictions_path

SAMPLE_KEYS = {"id", "text", "categories", "primary", "urgency", "style", "source"}


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path):
    store = AuditStore(f"sqlite:///{tmp_path / 'nested' / 'audit.db'}", store_text=False)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.close()


def test_rows_are_appended_and_text_kept_only_when_asked(tmp_path):
    result = {"id": "r1", "model_version": "v1", "primary": "none"}
    for store_text in (False, True):
        store = AuditStore(f"sqlite:///{tmp_path / 'audit.db'}", store_text=store_text)
        store.record_scores([ScoredReport("r1", "nội dung", {"channel": "web"}, result)], "dir", "req")
        store.close()
    store = AuditStore(f"sqlite:///{tmp_path / 'audit.db'}", store_text=False)
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT report_id, text FROM scored_reports ORDER BY seq").all()
    assert rows == [("r1", None), ("r1", "nội dung")]
    assert store.add_feedback(Correction("unknown", ["none"], "none", "low", "me", None)) is None
    store.close()


def _score_and_correct(app, report, corrections):
    with TestClient(app, headers={"X-API-Key": "test-scoring-key"}) as client:
        for number, categories, urgency in corrections:
            client.post("/score", json=report(number))
            body = {
                "id": report(number)["id"], "categories": categories, "primary": most_serious(categories),
                "urgency": urgency, "reviewer": "le.van.an", "note": "đã kiểm tra",
            }
            assert client.post("/feedback", json=body).status_code == 201


def test_export_writes_sample_schema_rows_and_a_predictions_sidecar(make_settings, report, tmp_path):
    from service.app import create_app

    settings = make_settings()
    app = create_app(settings)
    _score_and_correct(app, report, [(0, ["grooming"], "high"), (1, ["cyberbullying", "privacy"], "medium"),
                                     (0, ["grooming", "sextortion"], "critical")])
    output = tmp_path / "out" / "feedback.jsonl"
    assert export_feedback(output, settings) == 2
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["rpt-0001", "rpt-0000"]
    for line in lines:
        assert set(line) == SAMPLE_KEYS
        assert line["source"] == "reviewer_feedback" and line["style"] == []
        assert all(category in CATEGORIES for category in line["categories"])
        assert line["primary"] == most_serious(line["categories"])
        assert line["urgency"] in URGENCY_LEVELS
    assert lines[1]["categories"] == ["grooming", "sextortion"]
    assert lines[1]["text"] == report(0)["text"]
    sidecar = [json.loads(line) for line in predictions_path(output).read_text(encoding="utf-8").splitlines()]
    assert predictions_path(output).name == "feedback.predictions.ndjson"
    assert [row["id"] for row in sidecar] == ["rpt-0001", "rpt-0000"]
    assert sidecar[1]["predicted"]["id"] == "rpt-0000" and "model_version" in sidecar[1]["predicted"]
    assert sidecar[1]["reviewer"] == "le.van.an"


def test_export_skips_and_counts_rows_without_text(make_settings, report, tmp_path, caplog):
    from service.app import create_app

    without_text = make_settings(store_text=False)
    _score_and_correct(create_app(without_text), report, [(0, ["grooming"], "high"), (1, ["none"], "low")])
    with_text = make_settings(store_text=True)
    _score_and_correct(create_app(with_text), report, [(2, ["none"], "low")])
    output = tmp_path / "feedback.jsonl"
    with caplog.at_level(logging.WARNING):
        assert export_feedback(output, with_text) == 1
    assert [json.loads(line)["id"] for line in output.read_text(encoding="utf-8").splitlines()] == ["rpt-0002"]
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING and "skipped" in r.getMessage()]
    assert warning.fields == {"skipped": 2, "written": 1}
