"""The model report's computations: held-out evaluation, slices, critical trade-off, terms, mistakes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from classifier.normalize import strip_diacritics
from classifier.taxonomy import CATEGORIES, URGENCY_LEVELS
from training import report
from training.data import evaluation_split

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


@pytest.fixture(scope="module")
def evaluation(model_dir: Path) -> report.Evaluation:
    """The default report: the test model on the held-out split of data/samples."""
    return report.evaluate_file(model_dir, [SAMPLES])


def test_default_split_is_the_held_out_one(evaluation: report.Evaluation, samples: pd.DataFrame) -> None:
    held_out = set(samples.loc[evaluation_split(samples).to_numpy(), "id"])
    assert evaluation.split == "held-out"
    assert set(evaluation.frame["id"]) == held_out
    assert [r["id"] for r in evaluation.records] == evaluation.frame["id"].tolist()
    assert evaluation.metrics["n"] == len(held_out)
    with pytest.raises(ValueError, match="split"):
        report.evaluate_file(Path("unused"), [SAMPLES], "training")


def test_headline_and_category_table_come_from_the_metrics(evaluation: report.Evaluation) -> None:
    metrics = evaluation.metrics
    headline = report.headline(evaluation)
    assert headline["macro-F1 (primary)"] == metrics["macro_f1"]
    assert headline["split"] == "held-out"
    table = report.category_table(metrics)
    assert table.index.tolist() == list(CATEGORIES)
    assert table.loc["grooming", "f1"] == metrics["primary"]["grooming"]["f1"]
    assert table.loc["privacy", "any_label_f1"] == metrics["category_f1"]["privacy"]
    assert table["support"].sum() == metrics["n"]
    probs, truth = report.probability_matrices(evaluation.records, evaluation.frame)
    assert probs.shape == truth.shape == (metrics["n"], len(CATEGORIES))
    assert set(np.unique(truth)) == {0, 1}


def test_tradeoff_replays_the_models_critical_decision(evaluation: report.Evaluation) -> None:
    current = evaluation.manifest["critical_threshold"]
    table = report.critical_tradeoff(evaluation.records, evaluation.frame, [current, 0.05, 0.5, 0.95])
    predicted = sum(r["urgency"] == "critical" for r in evaluation.records)
    assert table.iloc[0]["flagged_critical"] == predicted
    assert table.iloc[0]["recall"] == pytest.approx(evaluation.metrics["critical_recall"], abs=1e-4)
    total = int((evaluation.frame["urgency"] == "critical").sum())
    assert (table["caught"] + table["missed"] == total).all()
    grid = report.critical_tradeoff(evaluation.records, evaluation.frame)
    assert grid["missed"].is_monotonic_increasing and grid["false_alarms"].is_monotonic_decreasing
    assert isinstance(report.tradeoff_figure(grid, current), Figure)


def _record(primary: str, urgency: str, critical: float, signals: list[str]) -> dict:
    return {
        "primary": primary, "categories": [primary], "urgency": urgency,
        "urgency_scores": {**dict.fromkeys(URGENCY_LEVELS, 0.0), "critical": critical},
        "signals": signals, "scores": dict.fromkeys(CATEGORIES, 0.5), "explanation": {primary: []},
    }


def test_reports_the_rules_force_critical_are_caught_at_every_threshold() -> None:
    records = [
        _record("sextortion", "critical", 0.01, ["urgency:threat_deadline"]),
        _record("self_harm", "critical", 0.6, []),
        _record("none", "low", 0.3, []),
    ]
    frame = pd.DataFrame({"urgency": ["critical", "critical", "low"]})
    table = report.critical_tradeoff(records, frame, [0.2, 0.5, 0.9]).set_index("threshold")
    assert table["caught"].tolist() == [2, 2, 1]
    assert table["false_alarms"].tolist() == [1, 0, 0]
    assert table.loc[0.9, "precision"] == 1.0


def test_slices_cover_style_length_and_source(evaluation: report.Evaluation) -> None:
    table = report.slices(evaluation.records, evaluation.frame, min_size=10)
    frame = evaluation.frame
    everything = table[table["kind"] == "all"].iloc[0]
    assert everything["n"] == len(frame)
    assert everything["macro_f1"] == pytest.approx(evaluation.metrics["macro_f1"], abs=1e-4)
    by_name = table.set_index(["kind", "slice"])
    assert by_name.loc[("style", "no_diacritics"), "n"] == sum("no_diacritics" in s for s in frame["style"])
    assert by_name.loc[("style", "teencode"), "n"] == sum("teencode" in s for s in frame["style"])
    assert by_name.loc[("source", "teen"), "n"] == (frame["source"] == "teen").sum()
    lengths = table[table["kind"] == "length"]
    assert lengths["n"].sum() == len(frame)
    assert (table["n"] >= 10).all()
    hard_negatives = by_name.loc[("style", "hard_negative")]
    assert np.isnan(hard_negatives["critical_recall"]) and hard_negatives["critical_total"] == 0
    assert isinstance(report.slice_figure(table), Figure)


def test_slice_macro_f1_averages_only_categories_present() -> None:
    records = [_record(p, "low", 0.0, []) for p in ("scam", "scam", "none")]
    frame = pd.DataFrame(
        {"primary": ["scam", "scam", "none"], "urgency": ["low"] * 3, "text": ["a b c"] * 3,
         "style": [["teencode"], [], []], "source": ["teen"] * 3}
    )
    table = report.slices(records, frame, min_size=1).set_index("slice")
    assert table.loc["all reports", "macro_f1"] == 1.0
    assert table.loc["teencode", "n"] == 1
    assert report.slices(records, frame, min_size=5).empty
    assert isinstance(report.slice_figure(report.slices(records, frame, min_size=5)), Figure)


def test_top_terms_are_readable_and_distinct(model) -> None:
    terms = report.category_terms(model, 8)
    assert terms.columns.tolist() == list(CATEGORIES)
    assert terms.index.tolist() == list(range(1, 9))
    for category in CATEGORIES:
        column = [t for t in terms[category] if t]
        assert len(column) >= 5, category
        keys = [strip_diacritics(t).lower() for t in column]
        assert len(set(keys)) == len(keys)
        for term in column:
            assert term == term.strip() and "_" not in term and not term.startswith("xx")
        for a in keys:
            assert not any(a != b and f" {a} " in f" {b} " for b in keys)
    assert any(any(ch != strip_diacritics(ch) for ch in "".join(terms[c])) for c in CATEGORIES)


def test_confident_mistakes_are_wrong_and_sorted(evaluation: report.Evaluation) -> None:
    table = report.confident_mistakes(evaluation.records, evaluation.frame, 20)
    assert 0 < len(table) <= 20
    assert (table["labelled"] != table["predicted"]).all()
    assert table["confidence"].is_monotonic_decreasing
    texts = evaluation.frame.set_index("id")["text"]
    assert (table["text"] == texts.loc[table["id"]].to_numpy()).all()
    wrong = sum(r["primary"] != p for r, p in zip(evaluation.records, evaluation.frame["primary"]))
    assert len(report.confident_mistakes(evaluation.records, evaluation.frame, 10_000)) == wrong
