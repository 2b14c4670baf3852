"""Prometheus metrics of one app, in a registry of its own so several apps never clash."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import InfoMetricFamily, Metric

from classifier.taxonomy import CATEGORIES, URGENCY_LEVELS
from service.holder import ModelHolder

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ModelInfoCollector:
    """`triage_model_info{model_version, model_uri}`, read from the holder at scrape time."""

    def __init__(self, holder: ModelHolder) -> None:
        self.holder = holder

    def collect(self) -> Iterator[Metric]:
        info = InfoMetricFamily("triage_model", "The model currently serving")
        loaded = self.holder.current
        if loaded is not None:
            info.add_metric([], {"model_version": loaded.version, "model_uri": loaded.uri})
        yield info


class ServiceMetrics:
    def __init__(self, holder: ModelHolder) -> None:
        self.registry = CollectorRegistry()
        labels = ("endpoint", "method", "status")
        self.requests = Counter(
            "triage_requests", "HTTP requests", labels, registry=self.registry
        )
        self.latency = Histogram(
            "triage_request_duration_seconds", "HTTP request latency", labels,
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.predictions = Counter(
            "triage_predictions", "Scored reports by primary category and urgency",
            ("primary", "urgency"), registry=self.registry,
        )
        self.categories = Counter(
            "triage_predicted_categories", "Categories assigned (a report can have several)",
            ("category",), registry=self.registry,
        )
        self.scored = Counter("triage_scored_reports", "Reports scored and recorded", registry=self.registry)
        self.needs_review = Counter(
            "triage_needs_review", "Scored reports flagged for human review", registry=self.registry
        )
        self.feedback = Counter("triage_feedback", "Reviewer corrections stored", registry=self.registry)
        self.reloads = Counter(
            "triage_model_reloads", "Model reload attempts", ("outcome",), registry=self.registry
        )
        for category in CATEGORIES:
            self.categories.labels(category)
            for urgency in URGENCY_LEVELS:
                self.predictions.labels(category, urgency)
        for outcome in ("ok", "failed"):
            self.reloads.labels(outcome)
        self.registry.register(ModelInfoCollector(holder))

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, method, str(status)).inc()
        self.latency.labels(endpoint, method, str(status)).observe(seconds)

    def observe_results(self, results: Sequence[dict[str, Any]]) -> None:
        """Count recorded results (called only after the audit rows are committed)."""
        for result in results:
            self.predictions.labels(result["primary"], result["urgency"]).inc()
            for category in result["categories"]:
                self.categories.labels(category).inc()
            if result["needs_review"]:
                self.needs_review.inc()
        self.scored.inc(len(results))

    def render(self) -> bytes:
        return generate_latest(self.registry)
