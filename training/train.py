"""Training runs: data -> cross-validated search -> held-out evaluation -> saved model.

Two modes share this flow. Taxonomy mode (the default) trains `TriageModel` on reports
labelled by `../shared/taxonomy.md`; generic mode trains `TextClassifier` on any table with
a text column and a label column.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from tqdm.auto import tqdm

from classifier.artifacts import save_model
from classifier.generic import TextClassifier
from classifier.model import TriageModel, analyze_all
from training.data import DataError, evaluation_split, file_sha256, load_reports, read_table
from training.evaluate import evaluate_generic, evaluate_taxonomy

TAXONOMY_GRID: dict[str, list[Any]] = {"C": [16.0, 64.0]}
GENERIC_GRID: dict[str, list[Any]] = {"C": [0.5, 1.0], "accent_char_ngrams": [None, (1, 4)]}


@dataclass
class TrainResult:
    model: Any
    manifest: dict[str, Any]
    metrics: dict[str, Any]
    search: list[dict[str, Any]]
    params: dict[str, Any]
    skipped_rows: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _candidates(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    combos: list[dict[str, Any]] = [{}]
    for name, values in grid.items():
        combos = [{**combo, name: value} for combo in combos for value in values]
    return combos


def _search(base: Any, docs: list, y: Sequence[Any], grid: dict[str, list[Any]]) -> tuple[Any, list[dict]]:
    """Fit every candidate on the training rows; keep the best cross-validated macro-F1."""
    results = []
    best = None
    for params in tqdm(_candidates(grid), desc="hyperparameter search", unit="candidate"):
        model = clone(base).set_params(**params).fit(docs, y)
        results.append({**params, "cv_macro_f1": round(model.cv_macro_f1_, 4)})
        if best is None or model.cv_macro_f1_ > best.cv_macro_f1_:
            best = model
    return best, results


def train_taxonomy(
    paths: Sequence[str | Path],
    output: str | Path,
    grid: dict[str, list[Any]] | None = None,
    n_jobs: int = 2,
) -> TrainResult:
    """Train the taxonomy model on the training part of the fixed split, evaluate on the rest."""
    started = time.perf_counter()
    frame = load_reports(paths)
    held_out = evaluation_split(frame).to_numpy()
    train, test = frame[~held_out], frame[held_out]
    labels = train[["categories", "urgency"]].to_dict("records")
    base = TriageModel(n_jobs=n_jobs)
    docs = analyze_all(train["text"].tolist(), base.segmenter, n_jobs, verbose=True)
    model, search = _search(base, docs, labels, grid or TAXONOMY_GRID)
    metrics = evaluate_taxonomy(model, test)
    metrics["cv_macro_f1"] = round(model.cv_macro_f1_, 4)
    manifest = save_model(
        model,
        output,
        {
            "metrics": metrics,
            "training_data_sha256": file_sha256(paths),
            "training_rows": len(train),
            "held_out_rows": len(test),
            "search": search,
        },
    )
    return TrainResult(
        model, manifest, metrics, search, model.get_params(), seconds=time.perf_counter() - started,
        extra={"test_frame": test},
    )


def read_labelled(paths: Sequence[str | Path], text_column: str, label_column: str) -> tuple[pd.DataFrame, int]:
    """Rows with non-empty text and a label; returns the frame and how many rows were skipped."""
    frame = read_table(paths)
    for column in (text_column, label_column):
        if column not in frame.columns:
            available = ", ".join(c for c in frame.columns if not c.startswith("_"))
            raise DataError(f"column {column!r} not found (columns: {available})")
    texts = frame[text_column]
    usable = texts.notna() & texts.astype(str).str.strip().ne("") & frame[label_column].notna()
    kept = frame[usable].reset_index(drop=True)
    kept[text_column] = kept[text_column].astype(str)
    return kept, int((~usable).sum())


def train_generic(
    paths: Sequence[str | Path],
    output: str | Path,
    text_column: str,
    label_column: str,
    grid: dict[str, list[Any]] | None = None,
    eval_paths: Sequence[str | Path] | None = None,
    n_jobs: int = 2,
) -> TrainResult:
    """Train the generic classifier; held-out figures come from `eval_paths` or a 20% split.

    Without `eval_paths`, the figures are those of the chosen settings fitted on the other 80%,
    and the saved model is then refit with them on every row (`refit_on_all_rows`).
    """
    started = time.perf_counter()
    frame, skipped = read_labelled(paths, text_column, label_column)
    if eval_paths:
        train = frame
        test, eval_skipped = read_labelled(eval_paths, text_column, label_column)
        skipped += eval_skipped
    else:
        train, test = train_test_split(
            frame, test_size=0.2, random_state=0, stratify=_stratify(frame[label_column])
        )
    base = TextClassifier(n_jobs=n_jobs)
    docs = analyze_all(train[text_column].tolist(), base.segmenter, n_jobs, verbose=True)
    labels = train[label_column].astype(str).tolist()
    model, search = _search(base, docs, labels, grid or GENERIC_GRID)
    metrics = evaluate_generic(model, test[text_column].tolist(), test[label_column].tolist())
    metrics["cv_macro_f1"] = round(model.cv_macro_f1_, 4)
    refit_rows = None
    if not eval_paths:
        # The split's rows have measured the chosen settings; the saved model learns from
        # every row, in file order, so the same file gives the same model as `--eval-data` runs.
        held_docs = analyze_all(test[text_column].tolist(), base.segmenter, n_jobs)
        by_row = dict(zip(train.index, docs)) | dict(zip(test.index, held_docs))
        model = clone(model).fit([by_row[i] for i in frame.index], frame[label_column].astype(str).tolist())
        refit_rows = len(frame)
    manifest = save_model(
        model,
        output,
        {
            "metrics": metrics,
            "training_data_sha256": file_sha256(paths),
            "training_rows": len(train),
            "held_out_rows": len(test),
            "refit_on_all_rows": refit_rows,
            "skipped_rows": skipped,
            "text_column": text_column,
            "label_column": label_column,
            "search": search,
        },
    )
    return TrainResult(
        model, manifest, metrics, search, model.get_params(), skipped_rows=skipped,
        seconds=time.perf_counter() - started,
    )


def _stratify(labels: pd.Series) -> pd.Series | None:
    counts = labels.astype(str).value_counts()
    return labels.astype(str) if counts.min() >= 2 else None


def summary_lines(result: TrainResult) -> list[str]:
    """Human-readable lines for the end of a training run."""
    metrics = result.metrics
    lines = [
        f"model {result.manifest['model_version']} saved ({result.seconds:.0f} s)",
        f"search: {result.search}",
        (
            f"held-out macro-F1 {metrics['macro_f1']:.3f} on {metrics['n']} rows "
            f"(cross-validated on training rows: {metrics['cv_macro_f1']:.3f})"
        ),
    ]
    if "critical_recall" in metrics:
        lines.append(
            f"critical recall {metrics['critical_recall']:.3f}, precision {metrics['critical_precision']:.3f}; "
            f"urgency within one {metrics['urgency_within_one']:.3f}; calibration error "
            f"{metrics['calibration_error']:.3f}; diacritics stripped macro-F1 {metrics['stripped']['macro_f1']:.3f}"
        )
    if result.skipped_rows:
        lines.append(f"skipped {result.skipped_rows} row(s) with no text or no label")
    return lines


def primary_metric(metrics: dict[str, Any]) -> float:
    return float(np.round(metrics["macro_f1"], 4))
