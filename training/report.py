"""The model report: one model judged on one labelled file, for deciding whether to promote it.

Headline metrics and the standard figures come from `training.evaluate` and `training.plots`.
This module adds what those do not answer: where the model is weak (slices by writing style,
length and reporter), what a stricter or looser critical threshold would cost, which terms each
category leans on, and which mistakes the model makes with the most confidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import f1_score

from classifier.artifacts import load_model
from classifier.features import BLOCKS
from classifier.model import TriageModel
from classifier.normalize import PLACEHOLDERS, strip_diacritics
from classifier.taxonomy import CATEGORIES, NONE, URGENCY_LEVELS
from classifier.urgency import rule_floor
from training.data import evaluation_split, load_reports
from training.evaluate import taxonomy_metrics

CRITICAL = URGENCY_LEVELS.index("critical")
SPLITS = ("held-out", "all")
LENGTH_BUCKETS = ((0, 20, "< 20 words"), (20, 50, "20-49 words"), (50, 100, "50-99 words"),
                  (100, 10**9, "100+ words"))
READABLE_BLOCKS = ("w", "s")
SLICE_COLUMNS = ("kind", "slice", "n", "macro_f1", "accuracy", "harm_missed", "critical_recall",
                 "critical_caught", "critical_total", "urgency_within_one")


@dataclass(frozen=True)
class Evaluation:
    """A model, the labelled rows it was scored on, its result records and the metrics."""

    model: TriageModel
    manifest: dict[str, Any]
    frame: pd.DataFrame
    records: list[dict[str, Any]]
    split: str
    metrics: dict[str, Any]


def evaluate_file(
    model_dir: str | Path, data_paths: Sequence[str | Path], split: str = "held-out"
) -> Evaluation:
    """Score labelled reports with the model in `model_dir` and compute the taxonomy metrics.

    `held-out` keeps only the fixed evaluation split of the data (the part `triage train`
    never trains on), so the data the default model learnt from is never reported as quality;
    `all` scores every row, for a file the model has never seen.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    model, manifest = load_model(model_dir)
    frame = load_reports([str(p) for p in data_paths])
    if split == "held-out":
        frame = frame[evaluation_split(frame).to_numpy()]
    frame = frame.reset_index(drop=True)
    records = model.score_reports(frame["text"].tolist(), frame["id"].astype(str).tolist())
    return Evaluation(model, manifest, frame, records, split, taxonomy_metrics(records, frame))


def category_table(metrics: dict[str, Any]) -> pd.DataFrame:
    """Per category: precision, recall and F1 of `primary`, and F1 of the category anywhere in the labels."""
    table = pd.DataFrame(metrics["primary"]).T[["precision", "recall", "f1", "support"]]
    table["any_label_f1"] = pd.Series(metrics["category_f1"])
    table.index.name = "category"
    return table.astype({"support": int})


def probability_matrices(records: Sequence[dict[str, Any]], frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, 0/1 truth), both (n, len(CATEGORIES)), for calibration and PR curves."""
    probs = np.array([[record["scores"][c] for c in CATEGORIES] for record in records])
    truth = np.array([[c in cats for c in CATEGORIES] for cats in frame["categories"]], dtype=int)
    return probs, truth


def _urgency_signals(record: dict[str, Any]) -> list[str]:
    return [s.removeprefix("urgency:") for s in record["signals"] if s.startswith("urgency:")]


def critical_tradeoff(
    records: Sequence[dict[str, Any]], frame: pd.DataFrame, thresholds: Sequence[float] | None = None
) -> pd.DataFrame:
    """Critical reports caught and missed if the threshold on P(critical) were each of `thresholds`.

    It replays the model's rule: critical when P(critical) reaches the threshold or when the
    taxonomy's rules force it (those are caught at every threshold).
    """
    if thresholds is None:
        thresholds = np.round(np.arange(0.05, 1.0, 0.05), 2)
    prob = np.array([record["urgency_scores"]["critical"] for record in records])
    forced = np.array([rule_floor(r["categories"], _urgency_signals(r)) == CRITICAL for r in records], dtype=bool)
    truth = frame["urgency"].to_numpy() == "critical"
    rows = []
    for threshold in thresholds:
        flagged = forced | (prob >= threshold)
        caught = int(np.sum(flagged & truth))
        rows.append(
            {
                "threshold": float(threshold),
                "flagged_critical": int(flagged.sum()),
                "caught": caught,
                "missed": int(truth.sum()) - caught,
                "false_alarms": int(np.sum(flagged & ~truth)),
                "recall": caught / truth.sum() if truth.any() else np.nan,
                "precision": caught / flagged.sum() if flagged.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def tradeoff_figure(table: pd.DataFrame, current: float | None = None) -> Figure:
    """Missed critical reports and false alarms against the threshold, with the model's own marked."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(table["threshold"], table["missed"], marker="o", color="tab:red", label="critical reports missed")
    ax.plot(table["threshold"], table["false_alarms"], marker="s", color="tab:blue",
            label="non-critical flagged critical")
    if current is not None:
        ax.axvline(current, color="black", linestyle="--", linewidth=1, label=f"model threshold {current:.2f}")
    ax.set_xlabel("threshold on P(critical)")
    ax.set_ylabel("reports")
    ax.set_title("critical urgency: misses against false alarms")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _slice_masks(frame: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
    """(kind, name, row mask) for every slice: all, style tags, length buckets, source personas."""
    masks = [("all", "all reports", np.ones(len(frame), dtype=bool))]
    styles = frame["style"].tolist()
    for tag in sorted({tag for tags in styles for tag in tags}):
        masks.append(("style", tag, np.array([tag in tags for tags in styles])))
    words = frame["text"].str.split().str.len().to_numpy()
    for low, high, name in LENGTH_BUCKETS:
        masks.append(("length", name, (words >= low) & (words < high)))
    for source in sorted(frame["source"].unique()):
        masks.append(("source", source, frame["source"].to_numpy() == source))
    return masks


def slices(records: Sequence[dict[str, Any]], frame: pd.DataFrame, min_size: int = 10) -> pd.DataFrame:
    """Quality per slice of at least `min_size` reports.

    Macro-F1 averages only the categories present in the slice, so a slice without, say,
    trafficking is not marked down for it. `harm_missed` is the share of harmful reports given
    no harm category at all; `critical_recall` is empty where the slice has no critical report.
    """
    true_primary = frame["primary"].to_numpy()
    pred_primary = np.array([record["primary"] for record in records])
    true_urgency = np.array([URGENCY_LEVELS.index(u) for u in frame["urgency"]])
    pred_urgency = np.array([URGENCY_LEVELS.index(record["urgency"]) for record in records])
    pred_harm = np.array([record["categories"] != [NONE] for record in records])
    rows = []
    for kind, name, mask in _slice_masks(frame):
        if mask.sum() < min_size:
            continue
        truth, pred = true_primary[mask], pred_primary[mask]
        harmful = truth != NONE
        critical = true_urgency[mask] == CRITICAL
        rows.append(
            {
                "kind": kind,
                "slice": name,
                "n": int(mask.sum()),
                "macro_f1": float(f1_score(truth, pred, labels=sorted(set(truth)), average="macro", zero_division=0)),
                "accuracy": float(np.mean(truth == pred)),
                "harm_missed": float(np.mean(~pred_harm[mask][harmful])) if harmful.any() else np.nan,
                "critical_recall": float(np.mean(pred_urgency[mask][critical] == CRITICAL)) if critical.any() else np.nan,
                "critical_caught": int(np.sum(pred_urgency[mask][critical] == CRITICAL)),
                "critical_total": int(critical.sum()),
                "urgency_within_one": float(np.mean(np.abs(pred_urgency[mask] - true_urgency[mask]) <= 1)),
            }
        )
    return pd.DataFrame(rows, columns=list(SLICE_COLUMNS))


def slice_figure(table: pd.DataFrame) -> Figure:
    """Macro-F1 and critical recall per slice; bars below the whole set's value (dashed) in orange.

    Critical recall bars are labelled caught/total, since a slice often holds few critical reports.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, max(3.0, 0.28 * len(table) + 1.5)), sharey=True)
    positions = np.arange(len(table))[::-1]
    overall = table[table["kind"] == "all"]
    for ax, column, title in zip(axes, ("macro_f1", "critical_recall"), ("macro-F1 (primary)", "critical recall")):
        values = table[column].to_numpy(dtype=float)
        reference = float(overall[column].iloc[0]) if len(overall) else np.nan
        colours = np.where(values < reference - 1e-9, "tab:orange", "tab:blue")
        ax.barh(positions, np.nan_to_num(values), color=colours)
        if not np.isnan(reference):
            ax.axvline(reference, color="black", linestyle="--", linewidth=1)
        ax.set_xlim(0, 1.12)
        ax.set_title(title)
    for y, caught, total in zip(positions, table["critical_caught"], table["critical_total"]):
        if total:
            axes[1].text(min(caught / total, 1.0) + 0.01, y, f"{caught}/{total}", va="center", fontsize=6)
    labels = [f"{kind}: {name} (n={n})" for kind, name, n in zip(table["kind"], table["slice"], table["n"])]
    axes[0].set_yticks(positions, labels, fontsize=7)
    fig.tight_layout()
    return fig


def category_terms(model: TriageModel, k: int = 10) -> pd.DataFrame:
    """The `k` most heavily weighted terms of each category (columns), as readable words.

    Only word and syllable n-grams count: character n-grams are fragments nobody can read.
    A syllable n-gram (learnt without diacritics) is shown as the category's strongest word
    n-gram spelt the same way, so "nhay cam" reads "nhạy cảm"; placeholders read `<num>`; a
    term overlapping one already shown ("nhạy", "nhạy cảm của" after "nhạy cảm") is skipped.
    """
    names = model.features_.feature_names()
    offsets = [model.features_.offsets_[block] for block in BLOCKS] + [len(names)]
    span = {block: np.arange(offsets[i], offsets[i + 1]) for i, block in enumerate(BLOCKS)}
    words, syllables = span["w"], span["s"]
    spelt = [_readable(name.replace("_", " ")) for name in names[words]]
    keys = [strip_diacritics(term).lower() for term in spelt]
    coef = np.asarray(model.coef_)
    columns = np.concatenate([words, syllables])
    table = {}
    for index, category in enumerate(model.categories_):
        spelling = (
            pd.DataFrame({"key": keys, "term": spelt, "weight": coef[index, words]})
            .sort_values("weight", ascending=False, kind="stable")
            .drop_duplicates("key")
            .set_index("key")["term"]
            .to_dict()
        )
        terms: list[str] = []
        shown: list[str] = []
        for column in columns[np.argsort(-coef[index, columns], kind="stable")]:
            if coef[index, column] <= 0 or len(terms) == k:
                break
            term = _readable(names[column].replace("_", " "))
            key = strip_diacritics(term).lower()
            if any(f" {key} " in f" {seen} " or f" {seen} " in f" {key} " for seen in shown):
                continue
            shown.append(key)
            terms.append(spelling.get(key, term))
        table[category] = terms + [""] * (k - len(terms))
    return pd.DataFrame(table, index=pd.RangeIndex(1, k + 1, name="rank"))


def _readable(term: str) -> str:
    return " ".join(f"<{token[2:]}>" if token in PLACEHOLDERS else token for token in term.split())


def confident_mistakes(records: Sequence[dict[str, Any]], frame: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The `n` wrong primary categories with the highest probability, with the model's reasons."""
    rows = []
    for record, label in zip(records, frame.itertuples(index=False)):
        if record["primary"] == label.primary:
            continue
        rows.append(
            {
                "id": label.id,
                "text": label.text,
                "labelled": label.primary,
                "predicted": record["primary"],
                "confidence": record["scores"][record["primary"]],
                "p_labelled": record["scores"][label.primary],
                "labelled_urgency": label.urgency,
                "predicted_urgency": record["urgency"],
                "why": ", ".join(record["explanation"].get(record["primary"], [])),
                "source": label.source,
            }
        )
    columns = ["id", "text", "labelled", "predicted", "confidence", "p_labelled", "labelled_urgency",
               "predicted_urgency", "why", "source"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("confidence", ascending=False, kind="stable").head(n).reset_index(drop=True)


def headline(evaluation: Evaluation) -> pd.Series:
    """The figures a promotion decision starts from, for the top of the report."""
    metrics = evaluation.metrics
    return pd.Series(
        {
            "model_version": evaluation.manifest.get("model_version"),
            "split": evaluation.split,
            "reports": metrics["n"],
            "macro-F1 (primary)": metrics["macro_f1"],
            "macro-F1 (any label)": metrics["category_macro_f1"],
            "critical recall": metrics["critical_recall"],
            "critical precision": metrics["critical_precision"],
            "urgency within one level": metrics["urgency_within_one"],
            "calibration error (ECE)": metrics["calibration_error"],
            "needs_review rate": metrics["needs_review_rate"],
        },
        name="value",
    )

