"""The append-only audit log of scored reports and reviewers' corrections, in one SQL database.

The URL is `TRIAGE_DATABASE_URL` (default: SQLite at `<data_dir>/triage.db`), so a team can
point it at PostgreSQL. Rows are only ever inserted: scoring the same report id twice keeps
both rows. Report text is stored only with `TRIAGE_STORE_TEXT=true`; its sha256 always is.
The result's `explanation` quotes words of the report (a child's name, a street), so without
`TRIAGE_STORE_TEXT=true` it is left out of the stored result too.

SQLite runs in WAL mode with `synchronous=FULL`. A 200 from /score promises the audit row is
committed, and with FULL the WAL is fsynced at every commit, so an acknowledged row survives
a power cut or OS crash; NORMAL would survive only a crash of the service process. The price
is one fsync per request (a batch is one transaction), which is small next to scoring.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Row, make_url

from classifier.settings import Settings, get_settings

logger = logging.getLogger(__name__)

EXPORT_SOURCE = "reviewer_feedback"
PREDICTIONS_SUFFIX = ".predictions.ndjson"

tables = MetaData()

scored_reports = Table(
    "scored_reports",
    tables,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("report_id", String(200), nullable=False, index=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("scored_at", DateTime(timezone=True), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("model_uri", Text, nullable=False),
    Column("text_sha256", String(64), nullable=False),
    Column("text", Text, nullable=True),
    Column("report_metadata", JSON, nullable=False),
    Column("result", JSON, nullable=False),
)

feedback = Table(
    "feedback",
    tables,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("report_id", String(200), nullable=False, index=True),
    Column("scored_seq", Integer, ForeignKey("scored_reports.seq"), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("reviewer", String(100), nullable=False),
    Column("note", Text, nullable=True),
    Column("categories", JSON, nullable=False),
    Column("primary_category", String(32), nullable=False),
    Column("urgency", String(16), nullable=False),
)


@dataclass(frozen=True)
class ScoredReport:
    """One report as the audit log needs it: what came in and what the model said."""

    report_id: str
    text: str
    metadata: dict[str, Any]
    result: dict[str, Any]


@dataclass(frozen=True)
class Correction:
    report_id: str
    categories: list[str]
    primary: str
    urgency: str
    reviewer: str
    note: str | None


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets its folder created and its durability pragmas.

    `hide_parameters` keeps report text out of database error messages, which may be logged.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def without_quotes(result: dict[str, Any]) -> dict[str, Any]:
    """A result without its explanation, whose terms are the reporter's own words."""
    return {key: value for key, value in result.items() if key != "explanation"}


class AuditStore:
    """Scored reports and feedback; every write commits before the method returns."""

    def __init__(self, url: str, store_text: bool) -> None:
        self.engine = make_engine(url)
        self.store_text = store_text
        tables.create_all(self.engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditStore:
        return cls(settings.resolved_database_url, settings.store_text)

    def record_scores(self, reports: Sequence[ScoredReport], model_uri: str, request_id: str) -> None:
        """Insert one row per report in a single transaction, committed on return."""
        now = datetime.now(UTC)
        rows = [
            {
                "report_id": report.report_id,
                "request_id": request_id,
                "scored_at": now,
                "model_version": report.result["model_version"],
                "model_uri": model_uri,
                "text_sha256": text_sha256(report.text),
                "text": report.text if self.store_text else None,
                "report_metadata": report.metadata,
                "result": report.result if self.store_text else without_quotes(report.result),
            }
            for report in reports
        ]
        with self.engine.begin() as connection:
            connection.execute(insert(scored_reports), rows)

    def add_feedback(self, correction: Correction) -> dict[str, Any] | None:
        """Store a correction of the latest scoring of its report; None if it was never scored."""
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            scored_seq = connection.execute(
                select(func.max(scored_reports.c.seq)).where(
                    scored_reports.c.report_id == correction.report_id
                )
            ).scalar()
            if scored_seq is None:
                return None
            feedback_seq = connection.execute(
                insert(feedback).values(
                    report_id=correction.report_id,
                    scored_seq=scored_seq,
                    received_at=now,
                    reviewer=correction.reviewer,
                    note=correction.note,
                    categories=correction.categories,
                    primary_category=correction.primary,
                    urgency=correction.urgency,
                )
            ).inserted_primary_key[0]
        return {"feedback_id": feedback_seq, "id": correction.report_id, "received_at": now.isoformat()}

    def latest_corrections(self) -> Iterator[Row]:
        """The latest correction of each report, joined with the scoring it corrects."""
        latest = (
            select(func.max(feedback.c.seq).label("seq")).group_by(feedback.c.report_id).subquery()
        )
        query = (
            select(
                feedback.c.report_id,
                feedback.c.categories,
                feedback.c.primary_category,
                feedback.c.urgency,
                feedback.c.reviewer,
                feedback.c.note,
                feedback.c.received_at,
                scored_reports.c.text,
                scored_reports.c.scored_at,
                scored_reports.c.result,
            )
            .join(latest, feedback.c.seq == latest.c.seq)
            .join(scored_reports, scored_reports.c.seq == feedback.c.scored_seq)
            .order_by(feedback.c.seq)
        )
        with self.engine.connect() as connection:
            yield from connection.execute(query)

    def close(self) -> None:
        self.engine.dispose()


def predictions_path(output: Path) -> Path:
    """The sidecar of `export_feedback`; `.ndjson` so training never reads it as data."""
    return output.with_name(output.stem + PREDICTIONS_SUFFIX)


def export_feedback(output: Path, settings: Settings | None = None) -> int:
    """Write corrections in the data/samples schema; returns how many were written.

    OUT holds only schema fields (the data checker rejects unknown ones). What the model
    predicted, who corrected it and their note go to the sidecar `predictions_path(OUT)`,
    one line per OUT line with the same `id`. Reports scored without
    `TRIAGE_STORE_TEXT=true` have no text, cannot be trained on, and are skipped and counted.
    """
    store = AuditStore.from_settings(settings or get_settings())
    output.parent.mkdir(parents=True, exist_ok=True)
    written = skipped = 0
    try:
        with output.open("w", encoding="utf-8") as rows, predictions_path(output).open(
            "w", encoding="utf-8"
        ) as sidecar:
            for row in store.latest_corrections():
                if row.text is None:
                    skipped += 1
                    continue
                rows.write(_dumps(_sample(row)) + "\n")
                sidecar.write(_dumps(_prediction(row)) + "\n")
                written += 1
    finally:
        store.close()
    if skipped:
        logger.warning(
            "skipped %d correction(s) of reports scored without TRIAGE_STORE_TEXT=true: "
            "no text to train on",
            skipped,
            extra={"fields": {"skipped": skipped, "written": written}},
        )
    return written


def _sample(row: Row) -> dict[str, Any]:
    return {
        "id": row.report_id,
        "text": row.text,
        "categories": row.categories,
        "primary": row.primary_category,
        "urgency": row.urgency,
        "style": [],
        "source": EXPORT_SOURCE,
    }


def _prediction(row: Row) -> dict[str, Any]:
    return {
        "id": row.report_id,
        "predicted": row.result,
        "scored_at": row.scored_at.isoformat(),
        "reviewer": row.reviewer,
        "note": row.note,
        "corrected_at": row.received_at.isoformat(),
    }


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)
