"""The reviewer notebook's data layer: audit store and scored-file loading, queues, disagreements."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from matplotlib.figure import Figure

from classifier.taxonomy import CATEGORIES, URGENCY_LEVELS, most_serious
from service.store import AuditStore, Correction, ScoredReport, predictions_path, scored_reports
from training import audit

SAMPLE_KEYS = {"id", "text", "categories", "primary", "urgency", "style", "source"}
STORED = "Có người lạ nhắn tin cho con gái tôi 11 tuổi đòi gửi ảnh và hẹn gặp tối nay"
UNSTORED = "Em bị bạn cùng lớp đăng ảnh chế lên nhóm lớp suốt ba ngày nay"


def result(
    report_id: str,
    categories: list[str],
    urgency: str,
    needs_review: bool = False,
    priority: float = 0.5,
    signals: list[str] | None = None,
) -> dict[str, Any]:
    """A result record shaped like `TriageModel.score_reports` output."""
    return {
        "id": report_id,
        "primary": most_serious(categories),
        "categories": categories,
        "scores": {c: 0.9 if c in categories else 0.05 for c in CATEGORIES},
        "urgency": urgency,
        "urgency_scores": {u: 0.7 if u == urgency else 0.1 for u in URGENCY_LEVELS},
        "priority": priority,
        "needs_review": needs_review,
        "signals": signals or [],
        "explanation": {c: ["người lạ", "ảnh"] for c in categories},
        "model_version": "v1",
    }


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A store with r1 (text stored, scored twice), r2 (text not stored) and r3, plus feedback."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    with_text = AuditStore(url, store_text=True)
    with_text.record_scores(
        [ScoredReport("r1", STORED, {}, result("r1", ["none"], "low", needs_review=True, priority=0.2,
                                                 signals=["review:no_confident_category"]))],
        "models/default", "req-1",
    )
    with_text.record_scores(
        [ScoredReport("r1", STORED, {}, result("r1", ["grooming"], "high", needs_review=True, priority=0.7,
                                                 signals=["urgency:time_soon", "review:near_threshold"]))],
        "models/default", "req-2",
    )
    with_text.close()
    without_text = AuditStore(url, store_text=False)
    without_text.record_scores(
        [
            ScoredReport("r2", UNSTORED, {}, result("r2", ["cyberbullying"], "medium", needs_review=True,
                                                    priority=0.4, signals=["review:uncertain_urgency"])),
            ScoredReport("r3", "Một bài báo về an toàn trẻ em trên mạng", {}, result("r3", ["none"], "low")),
        ],
        "models/default", "req-3",
    )
    without_text.add_feedback(Correction("r1", ["grooming", "sextortion"], "sextortion", "critical", "an", "gấp"))
    without_text.add_feedback(Correction("r2", ["cyberbullying", "privacy"], "cyberbullying", "medium", "an", None))
    without_text.add_feedback(Correction("r3", ["none"], "none", "low", "binh", None))
    without_text.close()
    return url


def test_store_rows_load_in_order_with_text_only_where_stored(store_url: str) -> None:
    log = audit.load_store(store_url)
    assert log.scored["report_id"].tolist() == ["r1", "r1", "r2", "r3"]
    assert log.scored["text"].isna().tolist() == [False, False, True, True]
    assert log.scored["text"].iloc[0] == STORED
    assert str(log.scored["scored_at"].dt.tz) == "UTC"
    assert set(log.feedback["report_id"]) == {"r1", "r2", "r3"}
    r1 = log.feedback.set_index("report_id").loc["r1"]
    assert r1["result"]["primary"] == "grooming"  # the latest scoring is the one corrected
    assert r1["text"] == STORED and r1["urgency"] == "critical"
    assert pd.isna(log.feedback.set_index("report_id").loc["r2", "text"])


def test_a_missing_database_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.db"
    with pytest.raises(FileNotFoundError):
        audit.load_store(f"sqlite:///{path}")
    assert not path.exists()


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def test_scored_file_never_supplies_text_and_labels_stand_in_for_reviewers(tmp_path: Path) -> None:
    leaked = {**result("a", ["scam"], "medium"), "text": "văn bản không được hiện"}
    scored = _write_jsonl(tmp_path / "scored.jsonl", [leaked, result("b", ["none"], "low")])
    moment = datetime(2026, 3, 1, 12, tzinfo=UTC).timestamp()
    os.utime(scored, (moment, moment))
    labels = _write_jsonl(
        tmp_path / "labels.jsonl",
        [
            {"id": "a", "text": "nội dung a", "categories": ["scam", "privacy"], "primary": "privacy",
             "urgency": "medium", "style": [], "source": "parent"},
            {"id": "zzz", "text": "never scored", "categories": ["none"], "primary": "none",
             "urgency": "low", "style": [], "source": "parent"},
        ],
    )
    log = audit.load_scored_jsonl(scored, labels)
    assert log.scored["text"].isna().all()
    assert (log.scored["scored_at"] == pd.Timestamp("2026-03-01 12:00", tz="UTC")).all()
    assert log.feedback["report_id"].tolist() == ["a"]
    assert log.feedback.iloc[0]["text"] == "nội dung a"
    assert log.feedback.iloc[0]["result"]["primary"] == "scam"
    assert audit.load_scored_jsonl(scored).feedback.empty


def test_volumes_fill_gaps_and_follow_the_taxonomy_order(tmp_path: Path) -> None:
    rows = [
        ("a", "2026-01-01T08:00:00Z", "scam", "medium"),
        ("b", "2026-01-01T09:00:00Z", "grooming", "high"),
        ("c", "2026-01-03T10:00:00Z", "scam", "critical"),
    ]
    path = _write_jsonl(
        tmp_path / "scored.jsonl",
        [{**result(rid, [primary], urgency), "scored_at": at} for rid, at, primary, urgency in rows],
    )
    scored = audit.load_scored_jsonl(path).scored
    table = audit.volumes(scored, "primary", "D")
    assert table.index.tolist() == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert table.columns.tolist() == ["grooming", "scam"]
    assert table.loc["2026-01-02"].sum() == 0 and table.to_numpy().sum() == 3
    assert audit.volumes(scored, "urgency", "D").columns.tolist() == ["medium", "high", "critical"]
    assert len(audit.volumes(scored, "primary")) == 3  # two days and two hours: daily bars
    assert audit.auto_frequency(scored["scored_at"].iloc[:2]) == "h"
    spans = {200: "W", 1000: "M"}
    for days, frequency in spans.items():
        assert audit.auto_frequency(scored["scored_at"] + pd.to_timedelta([0, 0, days], unit="D")) == frequency
    for frequency in ("h", "W", "M"):
        assert audit.volumes(scored, "primary", frequency).to_numpy().sum() == 3
    empty = audit.volumes(scored.iloc[:0], "primary")
    assert empty.empty
    for table in (audit.volumes(scored, "urgency"), empty):
        assert isinstance(audit.volume_figure(table, "t"), Figure)


def test_queue_takes_the_latest_scoring_most_urgent_first(store_url: str) -> None:
    log = audit.load_store(store_url)
    queue = audit.review_queue(log.scored, log.feedback)
    assert queue["report_id"].tolist() == ["r1", "r2"]
    assert queue.iloc[0]["why_review"] == "near_threshold"
    assert queue.iloc[0]["urgency_signals"] == "time_soon"
    assert queue["reviewed"].all()
    assert queue["text"].iloc[0] == STORED and pd.isna(queue["text"].iloc[1])
    assert audit.review_queue(log.scored, log.feedback.iloc[:0], limit=1)["reviewed"].tolist() == [False]
    counts = audit.reason_counts(queue)
    assert counts.to_dict() == {"near_threshold": 1, "uncertain_urgency": 1}
    assert isinstance(audit.reasons_figure(queue), Figure)
    nothing = audit.review_queue(log.scored.iloc[:0], log.feedback)
    assert nothing.empty and audit.reason_counts(nothing).empty
    assert isinstance(audit.reasons_figure(nothing), Figure)


def test_disagreements_put_the_model_beside_the_reviewer(store_url: str) -> None:
    log = audit.load_store(store_url)
    table = audit.disagreements(log.feedback)
    assert table["report_id"].tolist() == ["r1", "r2"]  # r3 agrees; critical before medium
    assert tuple(table.columns) == audit.DISAGREEMENT_COLUMNS
    first = table.iloc[0]
    assert first["changed"] == "category, urgency"
    assert (first["model_primary"], first["reviewer_primary"]) == ("grooming", "sextortion")
    assert first["model_explanation"] == "grooming: người lạ, ảnh"
    assert first["model_signals"] == "urgency:time_soon, review:near_threshold"
    assert first["note"] == "gấp" and first["text"] == STORED
    assert table.iloc[1]["changed"] == "category" and pd.isna(table.iloc[1]["text"])
    assert audit.disagreements(log.feedback.iloc[:0]).empty


def test_reviewer_confusion_has_reviewers_in_rows(store_url: str) -> None:
    feedback = audit.load_store(store_url).feedback
    primary = audit.reviewer_confusion(feedback, "primary")
    assert primary["labels"] == list(CATEGORIES)
    matrix = pd.DataFrame(primary["matrix"], index=primary["labels"], columns=primary["labels"])
    assert matrix.loc["sextortion", "grooming"] == 1 and matrix.loc["none", "none"] == 1
    assert matrix.to_numpy().sum() == 3
    urgency = audit.reviewer_confusion(feedback, "urgency")
    assert pd.DataFrame(urgency["matrix"], index=URGENCY_LEVELS, columns=URGENCY_LEVELS).loc["critical", "high"] == 1
    assert sum(map(sum, audit.reviewer_confusion(feedback.iloc[:0])["matrix"])) == 0


def test_export_from_the_store_uses_the_service_export(store_url: str, tmp_path: Path) -> None:
    output = tmp_path / "out" / "corrections.jsonl"
    log = audit.load_store(store_url)
    assert audit.export_corrections(output, log, store_url) == 1  # only r1's text was stored
    [row] = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert set(row) == SAMPLE_KEYS
    assert (row["id"], row["text"], row["primary"]) == ("r1", STORED, "sextortion")
    assert predictions_path(output).is_file()


def test_export_without_a_store_writes_the_sample_schema(store_url: str, tmp_path: Path) -> None:
    log = audit.load_store(store_url)
    output = tmp_path / "corrections.jsonl"
    assert audit.export_corrections(output, log) == 1
    [row] = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert set(row) == SAMPLE_KEYS and row["categories"] == ["grooming", "sextortion"]


def test_store_timestamps_become_time_buckets(store_url: str) -> None:
    log = audit.load_store(store_url)
    store = AuditStore(store_url, store_text=False)
    with store.engine.begin() as connection:
        connection.execute(
            scored_reports.update().where(scored_reports.c.report_id == "r3")
            .values(scored_at=datetime.now(UTC) + timedelta(days=3))
        )
    store.close()
    table = audit.volumes(audit.load_store(store_url).scored, "primary", "D")
    assert len(table) == 4 and table.to_numpy().sum() == len(log.scored)
