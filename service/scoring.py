"""From validated reports to recorded results: the one path every scoring route takes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.holder import LoadedModel
from service.metrics import ServiceMetrics
from service.schemas import ReportIn
from service.store import AuditStore, ScoredReport


def score_and_record(
    loaded: LoadedModel,
    store: AuditStore,
    metrics: ServiceMetrics,
    reports: Sequence[ReportIn],
    request_id: str,
) -> list[dict[str, Any]]:
    """Score in one vectorised call, commit the audit rows, then count; in that order.

    Results are returned only after their rows are committed, so an acknowledged result is
    never missing from the audit log. A store failure raises and nothing is returned.
    """
    metadata = [report.metadata.model_dump(exclude_none=True) for report in reports]
    results = loaded.model.score_reports(
        [report.text for report in reports], [report.id for report in reports], metadata
    )
    store.record_scores(
        [
            ScoredReport(report.id, report.text, meta, result)
            for report, meta, result in zip(reports, metadata, results)
        ],
        loaded.uri,
        request_id,
    )
    metrics.observe_results(results)
    return results
