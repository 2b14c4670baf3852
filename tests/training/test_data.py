"""The data checker, the sample set's guarantees, and the fixed evaluation split."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from classifier.taxonomy import HARM_CATEGORIES
from training.data import (
    DataError,
    check_paths,
    evaluation_split,
    near_duplicate_pairs,
    read_table,
)
from training.datacard import card_is_current

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
BROKEN = ROOT / "tests" / "fixtures" / "broken"


def test_samples_pass_the_checker() -> None:
    assert [str(p) for p in check_paths([SAMPLES])] == []


@pytest.mark.parametrize(
    ("file", "line", "message"),
    [
        ("bad_json.jsonl", 2, "not valid JSON"),
        ("bad_json.jsonl", 3, "must be a JSON object"),
        ("schema.jsonl", 1, "missing field(s)"),
        ("schema.jsonl", 2, "unknown field(s): colour"),
        ("schema.jsonl", 3, "`text` must be a non-empty string"),
        ("schema.jsonl", 4, "`id` must be a non-empty string"),
        ("labels.jsonl", 1, "unknown category blackmail"),
        ("labels.jsonl", 2, "`none` must be the only category"),
        ("labels.jsonl", 3, "is not in categories"),
        ("labels.jsonl", 4, "primary should be 'sextortion'"),
        ("labels.jsonl", 5, "must have urgency `low`"),
        ("labels.jsonl", 6, "unknown urgency 'urgent'"),
        ("labels.jsonl", 7, "`style` must be a list of tags"),
        ("duplicates.jsonl", 2, "duplicate id 'd-1'"),
        ("duplicates.jsonl", 3, "exact duplicate of"),
        ("duplicates.jsonl", 4, "near duplicate of"),
    ],
)
def test_each_broken_fixture_error_is_reported(file: str, line: int, message: str) -> None:
    problems = [p for p in check_paths([BROKEN]) if p.file.endswith(file) and p.line == line]
    assert any(message in p.message for p in problems), [str(p) for p in problems]


def test_clean_fixture_lines_have_no_problems() -> None:
    assert not [p for p in check_paths([BROKEN]) if p.file.endswith("bad_json.jsonl") and p.line == 1]


def test_augmented_variants_are_not_duplicates(tmp_path: Path) -> None:
    text = "Con tôi mười bốn tuổi bị một người lạ liên tục nhắn tin qua Messenger đòi gửi ảnh riêng tư."
    base = {"categories": ["grooming"], "primary": "grooming", "urgency": "high", "style": [], "source": "parent"}
    rows = [{"id": "a", "text": text, **base}, {"id": "b", "text": text + "!", "augmented_from": "a", **base}]
    path = tmp_path / "aug.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert check_paths([path]) == []
    frame = read_table([path])
    assert evaluation_split(frame).nunique() == 1


def test_missing_path_and_wrong_type_are_clear(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        check_paths([tmp_path / "missing.jsonl"])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DataError, match="unsupported file type"):
        check_paths([tmp_path / "notes.txt"])


def test_near_duplicate_detection() -> None:
    a = "Có người lạ nhắn tin cho con tôi hàng ngày qua Zalo và đòi con gửi ảnh riêng tư, con rất sợ."
    pairs = near_duplicate_pairs([a, a.replace("rất sợ", "sợ lắm"), "Một nội dung hoàn toàn khác về lừa đảo game."])
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]


def test_sample_coverage_meets_the_data_issue(samples: pd.DataFrame) -> None:
    originals = samples[samples.get("augmented_from", pd.Series(index=samples.index)).isna()]
    assert len(originals) >= 2500
    counts = originals["primary"].value_counts()
    for category in HARM_CATEGORIES:
        assert counts.get(category, 0) >= 150, category
    none = originals[originals["primary"] == "none"]
    assert len(none) >= 500
    assert none["style"].apply(lambda s: "hard_negative" in s).sum() >= 250
    urgency = originals["urgency"].value_counts()
    assert urgency["critical"] >= 250 and urgency["high"] >= 400
    assert originals["categories"].str.len().gt(1).mean() >= 0.15
    informal = originals["style"].apply(lambda s: "no_diacritics" in s or "teencode" in s)
    assert informal.mean() >= 0.30
    words = originals["text"].str.split().str.len()
    assert words.min() >= 5 and words.max() <= 300


def test_near_duplicate_rate_is_at_most_one_percent(samples: pd.DataFrame) -> None:
    pairs = near_duplicate_pairs(samples["text"].tolist())
    involved = {i for pair in pairs for i in pair[:2]}
    assert len(involved) / len(samples) <= 0.01


def test_split_is_stratified_grouped_and_stable(samples: pd.DataFrame) -> None:
    held_out = evaluation_split(samples)
    assert 0.17 <= held_out.mean() <= 0.23
    shares = samples.groupby("primary")["id"].count()
    held = samples[held_out].groupby("primary")["id"].count()
    assert ((held / shares).between(0.15, 0.25)).all()
    assert (evaluation_split(samples.sample(frac=1, random_state=1)).sort_index() == held_out.sort_index()).all()


def test_data_card_tables_are_generated_and_current() -> None:
    assert card_is_current(SAMPLES), "run `triage data card --write` after changing data/samples"
