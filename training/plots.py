"""Figures for MLflow runs and the reviewer notebooks (matplotlib, no display needed)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve


def confusion_figure(matrix: Sequence[Sequence[int]], labels: Sequence[str], title: str) -> Figure:
    """A confusion matrix with counts in the cells (rows: truth, columns: prediction)."""
    matrix = np.asarray(matrix)
    size = max(4.0, 0.55 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, str(value), ha="center", va="center", fontsize=8,
                color="white" if value > matrix.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def calibration_figure(probs: np.ndarray, truth: np.ndarray, labels: Sequence[str], bins: int = 8) -> Figure:
    """Reliability curves, one per label with positives: predicted probability vs frequency."""
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.plot([0, 1], [0, 1], "k--", linewidth=1, label="perfect")
    for k, label in enumerate(labels):
        if truth[:, k].sum() == 0:
            continue
        frequency, predicted = calibration_curve(truth[:, k], probs[:, k], n_bins=bins, strategy="quantile")
        ax.plot(predicted, frequency, marker="o", markersize=3, linewidth=1, label=label)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    ax.set_title("calibration")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def precision_recall_figure(probs: np.ndarray, truth: np.ndarray, labels: Sequence[str]) -> Figure:
    """Precision-recall curves per label."""
    fig, ax = plt.subplots(figsize=(6, 6))
    for k, label in enumerate(labels):
        if truth[:, k].sum() == 0:
            continue
        precision, recall, _ = precision_recall_curve(truth[:, k], probs[:, k])
        ax.plot(recall, precision, linewidth=1, label=label)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("precision-recall")
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig
