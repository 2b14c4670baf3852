"""What the reviewer notebook reads and computes: the audit log as frames, queues and disagreements.

The source is the service's audit store (`service.store`) or, without a service, a JSONL file
of result records from `triage score` plus an optional labelled file standing in for reviewers.
Report text comes only from where it was deliberately kept: the store's `text` column, which
is empty unless the service ran with `TRIAGE_STORE_TEXT=true`, or the labelled file a reviewer
passed in. A scored JSONL file is never read for text, so the notebook cannot show what the
service chose not to keep.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix
from sqlalchemy import select
from sqlalchemy.engine import make_url

from classifier.settings import Settings
from classifier.taxonomy import CATEGORIES, HARM_CATEGORIES, NONE, SERIOUSNESS, URGENCY_LEVELS
from service.store import EXPORT_SOURCE, AuditStore, export_feedback, scored_reports

SCORED_COLUMNS = (
    "report_id", "scored_at", "model_version", "primary", "categories", "urgency", "priority",
    "needs_review", "signals", "explanation", "scores", "text",
)
FEEDBACK_COLUMNS = (
    "report_id", "received_at", "reviewer", "note", "categories", "primary", "urgency", "text",
    "result",
)
# Harm categories: the ten tab10 hues with its grey swapped out, so grey means `none` only;
# urgency: green to red, so the eye reads severity without the legend.
_HUES = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#393b79",
         "#bcbd22", "#17becf")
COLOURS = {
    **dict(zip(HARM_CATEGORIES, _HUES)),
    NONE: "#b0b0b0",
    **dict(zip(URGENCY_LEVELS, ("#74c476", "#fdd049", "#fd8d3c", "#d7301f"))),
}
DISAGREEMENT_COLUMNS = (
    "report_id", "changed", "model_primary", "reviewer_primary", "model_categories",
    "reviewer_categories", "model_urgency", "reviewer_urgency", "model_explanation",
    "model_signals", "reviewer", "note", "text",
)


@dataclass(frozen=True)
class AuditLog:
    """Every scoring (`scored`, oldest first) and the latest correction of each report (`feedback`)."""

    scored: pd.DataFrame
    feedback: pd.DataFrame
    source: str


def load_store(url: str) -> AuditLog:
    """The audit log in the database at `url`; a missing SQLite file is an error, not an empty log."""
    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(file).is_file():
        raise FileNotFoundError(f"no audit database at {parsed.database}")
    store = AuditStore(url, store_text=False)
    try:
        with store.engine.connect() as connection:
            rows = connection.execute(select(scored_reports).order_by(scored_reports.c.seq)).all()
        corrections = list(store.latest_corrections())
    finally:
        store.close()
    scored = _scored_frame(
        {**row.result, "id": row.report_id, "scored_at": row.scored_at, "text": row.text} for row in rows
    )
    feedback = _feedback_frame(
        {
            "report_id": row.report_id,
            "received_at": row.received_at,
            "reviewer": row.reviewer,
            "note": row.note,
            "categories": list(row.categories),
            "primary": row.primary_category,
            "urgency": row.urgency,
            "text": row.text,
            "result": row.result,
        }
        for row in corrections
    )
    return AuditLog(scored, feedback, f"audit store {parsed.render_as_string(hide_password=True)}")


def load_scored_jsonl(path: str | Path, labels_path: str | Path | None = None) -> AuditLog:
    """Result records from `triage score`, with labels (data/samples schema) as reviewer decisions.

    Records carry no time, so each is dated by its `scored_at` if present, else by the file's
    modification time. A label whose id was never scored is left out.
    """
    path = Path(path)
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    records = _read_jsonl(path)
    scored = _scored_frame(
        {**record, "scored_at": record.get("scored_at", modified), "text": None} for record in records
    )
    latest = {str(record["id"]): record for record in records}
    labels = _read_jsonl(Path(labels_path)) if labels_path else []
    feedback = _feedback_frame(
        {
            "report_id": str(label["id"]),
            "received_at": None,
            "reviewer": Path(labels_path).name,
            "note": None,
            "categories": list(label["categories"]),
            "primary": label["primary"],
            "urgency": label["urgency"],
            "text": label.get("text"),
            "result": latest[str(label["id"])],
        }
        for label in labels
        if str(label["id"]) in latest
    )
    return AuditLog(scored, feedback, f"scored file {path}")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _scored_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    rows = [
        {
            "report_id": str(record["id"]),
            "scored_at": record["scored_at"],
            "model_version": record.get("model_version"),
            "primary": record["primary"],
            "categories": list(record["categories"]),
            "urgency": record["urgency"],
            "priority": float(record["priority"]),
            "needs_review": bool(record["needs_review"]),
            "signals": list(record.get("signals", [])),
            "explanation": dict(record.get("explanation", {})),
            "scores": dict(record.get("scores", {})),
            "text": record["text"],
        }
        for record in records
    ]
    frame = pd.DataFrame(rows, columns=list(SCORED_COLUMNS))
    frame["scored_at"] = pd.to_datetime(frame["scored_at"], utc=True)
    return frame


def _feedback_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(FEEDBACK_COLUMNS))
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
    return frame


def auto_frequency(times: pd.Series) -> str:
    """A bucket size giving a readable number of bars for the span of `times`."""
    if times.empty:
        return "D"
    span = times.max() - times.min()
    if span <= pd.Timedelta(days=2):
        return "h"
    if span <= pd.Timedelta(days=90):
        return "D"
    if span <= pd.Timedelta(days=730):
        return "W"
    return "M"


def volumes(scored: pd.DataFrame, by: str = "primary", freq: str = "auto") -> pd.DataFrame:
    """Scorings per time bucket (rows, oldest first, gaps filled with 0) and value of `by` (columns).

    `by` is `primary` or `urgency`; columns follow the taxonomy's order and omit values never seen.
    """
    order = {"primary": CATEGORIES, "urgency": URGENCY_LEVELS}[by]
    if scored.empty:
        return pd.DataFrame(columns=pd.Index([], name=by), index=pd.Index([], name="period"))
    freq = auto_frequency(scored["scored_at"]) if freq == "auto" else freq
    periods = scored["scored_at"].dt.tz_convert(None).dt.to_period(freq)
    table = pd.crosstab(periods, scored[by])
    full = pd.period_range(periods.min(), periods.max(), freq=freq)
    table = table.reindex(full, fill_value=0)
    table = table[[value for value in order if value in table.columns]]
    table.index = pd.Index([str(period) for period in full], name="period")
    table.columns.name = by
    return table


def volume_figure(table: pd.DataFrame, title: str) -> Figure:
    """Stacked bars of a `volumes` table, one colour per category or urgency level."""
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(table) + 3), 4))
    if table.empty:
        ax.text(0.5, 0.5, "no scored reports", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    else:
        bottom = np.zeros(len(table))
        for column in table.columns:
            values = table[column].to_numpy()
            ax.bar(range(len(table)), values, bottom=bottom, label=str(column), color=COLOURS[column])
            bottom += values
        step = max(1, len(table) // 12)
        ax.set_xticks(range(0, len(table), step), table.index[::step], rotation=45, ha="right")
        ax.set_ylabel("reports scored")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def latest_scores(scored: pd.DataFrame) -> pd.DataFrame:
    """The latest scoring of each report: the one the service's routing acted on."""
    return scored.drop_duplicates("report_id", keep="last")


def review_queue(scored: pd.DataFrame, feedback: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """Reports whose latest scoring asked for review, most urgent first, and why they were flagged."""
    latest = latest_scores(scored)
    queue = latest[latest["needs_review"]].sort_values("priority", ascending=False, kind="stable")
    reviewed = set(feedback["report_id"])
    table = pd.DataFrame(
        {
            "report_id": queue["report_id"],
            "scored_at": queue["scored_at"],
            "priority": queue["priority"],
            "primary": queue["primary"],
            "urgency": queue["urgency"],
            "why_review": [_prefixed(signals, "review:") for signals in queue["signals"]],
            "urgency_signals": [_prefixed(signals, "urgency:") for signals in queue["signals"]],
            "reviewed": queue["report_id"].isin(reviewed),
            "text": queue["text"],
        }
    ).reset_index(drop=True)
    return table.head(limit) if limit is not None else table


def reason_counts(queue: pd.DataFrame) -> pd.Series:
    """How often each review reason occurs in a `review_queue` table, most frequent first."""
    counts = Counter(reason for reasons in queue["why_review"] for reason in reasons.split(", ") if reason)
    return pd.Series(dict(counts.most_common()), name="reports", dtype=int)


def reasons_figure(queue: pd.DataFrame) -> Figure:
    """Horizontal bars of `reason_counts`, the most frequent reason on top."""
    counts = reason_counts(queue)
    fig, ax = plt.subplots(figsize=(6, max(2.0, 0.35 * len(counts) + 1)))
    ax.barh(range(len(counts))[::-1], counts.to_numpy(), color="tab:blue")
    ax.set_yticks(range(len(counts))[::-1], counts.index)
    ax.set_xlabel("reports in the queue")
    ax.set_title("why reports were flagged for review")
    fig.tight_layout()
    return fig


def _prefixed(signals: Sequence[str], prefix: str) -> str:
    return ", ".join(s.removeprefix(prefix) for s in signals if s.startswith(prefix))


def explanation_text(explanation: Mapping[str, Sequence[str]]) -> str:
    """`category: term, term; category: ...`, the model's reasons on one line."""
    return "; ".join(f"{category}: {', '.join(terms)}" for category, terms in explanation.items())


def disagreements(feedback: pd.DataFrame) -> pd.DataFrame:
    """Corrections that change the model's categories or urgency, most urgent (per reviewer) first.

    Each row puts the model's decision, explanation and signals beside the reviewer's.
    """
    rows = []
    for item in feedback.itertuples(index=False):
        result = item.result
        category_changed = set(item.categories) != set(result["categories"])
        urgency_changed = item.urgency != result["urgency"]
        if not (category_changed or urgency_changed):
            continue
        rows.append(
            {
                "report_id": item.report_id,
                "changed": ", ".join(
                    name for name, flag in (("category", category_changed), ("urgency", urgency_changed)) if flag
                ),
                "model_primary": result["primary"],
                "reviewer_primary": item.primary,
                "model_categories": ", ".join(result["categories"]),
                "reviewer_categories": ", ".join(item.categories),
                "model_urgency": result["urgency"],
                "reviewer_urgency": item.urgency,
                "model_explanation": explanation_text(result.get("explanation", {})),
                "model_signals": ", ".join(result.get("signals", [])),
                "reviewer": item.reviewer,
                "note": item.note,
                "text": item.text,
                "_urgency": URGENCY_LEVELS.index(item.urgency),
                "_serious": SERIOUSNESS.index(item.primary),
            }
        )
    table = pd.DataFrame(rows, columns=[*DISAGREEMENT_COLUMNS, "_urgency", "_serious"])
    table = table.sort_values(["_urgency", "_serious"], ascending=[False, True], kind="stable")
    return table.drop(columns=["_urgency", "_serious"]).reset_index(drop=True)



def reviewer_confusion(feedback: pd.DataFrame, field: str = "primary") -> dict[str, Any]:
    """Reviewer (rows) against model (columns) for `primary` or `urgency`, in `plots.confusion_figure` form."""
    labels = list({"primary": CATEGORIES, "urgency": URGENCY_LEVELS}[field])
    reviewer = feedback[field].tolist()
    model = [result[field] for result in feedback["result"]]
    matrix = confusion_matrix(reviewer, model, labels=labels) if reviewer else np.zeros((len(labels),) * 2, int)
    return {"labels": labels, "matrix": matrix.tolist()}


def export_corrections(output: str | Path, log: AuditLog, database_url: str | None = None) -> int:
    """Write corrections for retraining in the data/samples schema; returns how many were written.

    From a database this is the service's own `export_feedback` (with its predictions sidecar);
    otherwise the corrections in `log` that have text are written the same way. Corrections
    of reports whose text was not stored cannot be trained on and are skipped.
    """
    output = Path(output)
    if database_url:
        return export_feedback(output, Settings(database_url=database_url))
    output.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "id": item.report_id,
            "text": item.text,
            "categories": list(item.categories),
            "primary": item.primary,
            "urgency": item.urgency,
            "style": [],
            "source": EXPORT_SOURCE,
        }
        for item in log.feedback.itertuples(index=False)
        if isinstance(item.text, str) and item.text.strip()
    ]
    output.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return len(rows)
