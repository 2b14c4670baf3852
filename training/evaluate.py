"""Quality figures of a model on labelled data it was not trained on.

Everything here scores through the model object's own `score_reports`, so what is measured
is what the service would return.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from classifier.generic import TextClassifier
from classifier.model import TriageModel
from classifier.normalize import strip_diacritics
from classifier.taxonomy import CATEGORIES, HARM_CATEGORIES, URGENCY_LEVELS

CRITICAL = URGENCY_LEVELS.index("critical")


def per_class(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict[str, dict]:
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(labels), zero_division=0
    )
    return {
        label: {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "f1": round(float(f), 4),
            "support": int(s),
        }
        for label, p, r, f, s in zip(labels, precision, recall, f1, support)
    }


def expected_calibration_error(probs: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """ECE over every (report, category) probability: mean |confidence - frequency| per bin."""
    probs, truth = probs.ravel(), truth.ravel()
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(probs, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            error += mask.mean() * abs(probs[mask].mean() - truth[mask].mean())
    return float(error)


def taxonomy_metrics(records: list[dict[str, Any]], frame: pd.DataFrame) -> dict[str, Any]:
    """Metrics of scored records against a frame with `primary`, `categories`, `urgency`."""
    primary_true = frame["primary"].tolist()
    primary_pred = [r["primary"] for r in records]
    labels = list(CATEGORIES)
    truth = np.array([[c in cats for c in CATEGORIES] for cats in frame["categories"]], dtype=int)
    assigned = np.array([[c in r["categories"] for c in CATEGORIES] for r in records], dtype=int)
    probs = np.array([[r["scores"][c] for c in CATEGORIES] for r in records])
    u_true = np.array([URGENCY_LEVELS.index(u) for u in frame["urgency"]])
    u_pred = np.array([URGENCY_LEVELS.index(r["urgency"]) for r in records])
    critical_pred, critical_true = u_pred == CRITICAL, u_true == CRITICAL
    hits = int(np.sum(critical_pred & critical_true))
    category_f1 = f1_score(truth, assigned, average=None, zero_division=0)
    return {
        "n": len(records),
        "macro_f1": round(float(f1_score(primary_true, primary_pred, labels=labels, average="macro", zero_division=0)), 4),
        "primary": per_class(primary_true, primary_pred, labels),
        "primary_confusion": {"labels": labels, "matrix": confusion_matrix(primary_true, primary_pred, labels=labels).tolist()},
        "category_f1": {c: round(float(f), 4) for c, f in zip(CATEGORIES, category_f1)},
        "category_macro_f1": round(float(np.mean(category_f1)), 4),
        "critical_recall": round(hits / max(1, int(critical_true.sum())), 4),
        "critical_precision": round(hits / max(1, int(critical_pred.sum())), 4),
        "urgency_accuracy": round(float(np.mean(u_pred == u_true)), 4),
        "urgency_within_one": round(float(np.mean(np.abs(u_pred - u_true) <= 1)), 4),
        "urgency_confusion": {"labels": list(URGENCY_LEVELS), "matrix": confusion_matrix(u_true, u_pred, labels=range(len(URGENCY_LEVELS))).tolist()},
        "calibration_error": round(expected_calibration_error(probs, truth), 4),
        "needs_review_rate": round(float(np.mean([r["needs_review"] for r in records])), 4),
        "harm_recall": round(float(np.mean([set(r["categories"]) & set(HARM_CATEGORIES) != set() for r, t in zip(records, frame["primary"]) if t != "none"] or [0])), 4),
    }


def evaluate_taxonomy(model: TriageModel, frame: pd.DataFrame, stripped: bool = True) -> dict[str, Any]:
    """Taxonomy metrics on `frame`; with `stripped`, also on the same texts without diacritics."""
    texts = frame["text"].tolist()
    metrics = taxonomy_metrics(model.score_reports(texts, frame["id"].astype(str).tolist()), frame)
    if stripped:
        stripped_records = model.score_reports([strip_diacritics(t) for t in texts])
        metrics["stripped"] = {
            key: value
            for key, value in taxonomy_metrics(stripped_records, frame).items()
            if key in ("macro_f1", "critical_recall", "urgency_within_one", "category_macro_f1")
        }
    return metrics


def evaluate_generic(model: TextClassifier, texts: Sequence[str], labels: Sequence[Any]) -> dict[str, Any]:
    """Single-label metrics: per-class report, macro-F1 and the confusion matrix."""
    y_true = [str(label) for label in labels]
    y_pred = model.predict(list(texts)).tolist()
    classes = model.classes_.tolist()
    return {
        "n": len(y_true),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0)), 4),
        "accuracy": round(float(np.mean(np.array(y_true) == np.array(y_pred))), 4),
        "per_class": per_class(y_true, y_pred, classes),
        "confusion": {"labels": classes, "matrix": confusion_matrix(y_true, y_pred, labels=classes).tolist()},
    }
