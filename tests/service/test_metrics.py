"""Prometheus metrics of one app."""

from __future__ import annotations

from service.holder import ModelHolder
from service.metrics import ServiceMetrics


def _value(metrics: ServiceMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_results_are_counted_by_category_urgency_and_review(tmp_path):
    metrics = ServiceMetrics(ModelHolder("sqlite:///unused.db", tmp_path))
    metrics.observe_results([
        {"primary": "sextortion", "categories": ["grooming", "sextortion"], "urgency": "critical", "needs_review": True},
        {"primary": "none", "categories": ["none"], "urgency": "low", "needs_review": False},
    ])
    assert _value(metrics, "triage_predictions_total", primary="sextortion", urgency="critical") == 1
    assert _value(metrics, "triage_predictions_total", primary="grooming", urgency="critical") == 0
    assert _value(metrics, "triage_predicted_categories_total", category="grooming") == 1
    assert _value(metrics, "triage_needs_review_total") == 1
    assert _value(metrics, "triage_scored_reports_total") == 2


def test_model_info_is_empty_until_a_model_loads(tmp_path, model_dir):
    holder = ModelHolder("sqlite:///unused.db", tmp_path)
    metrics = ServiceMetrics(holder)
    assert b"triage_model_info{" not in metrics.render()
    loaded = holder.load(str(model_dir))
    assert _value(metrics, "triage_model_info", model_version=loaded.version, model_uri=str(model_dir)) == 1


def test_two_instances_do_not_clash(tmp_path):
    first = ServiceMetrics(ModelHolder("sqlite:///unused.db", tmp_path))
    second = ServiceMetrics(ModelHolder("sqlite:///unused.db", tmp_path))
    first.feedback.inc()
    assert _value(second, "triage_feedback_total") == 0
