"""Adversarial spellings: the same report, obfuscated, must keep its primary category.

tests/fixtures/adversarial_pairs.jsonl holds hand-written reports (`clean`, the category
they were written for in `category`) and the same report respelt (`adversarial`) in one of
seven ways (`kind`): letters spaced out, leetspeak, zero-width characters, Cyrillic
look-alikes, emoji between letters, elongated letters, or no diacritics.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from classifier.model import TriageModel
from classifier.taxonomy import CATEGORIES

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "adversarial_pairs.jsonl"
KINDS = {"spaced", "leetspeak", "zero_width", "cyrillic", "emoji", "elongation", "no_diacritics"}
MIN_AGREEMENT = 0.90


@pytest.fixture(scope="module")
def pairs() -> list[dict[str, str]]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]


def test_the_fixture_covers_every_category_and_kind(pairs: list[dict[str, str]]) -> None:
    assert len(pairs) >= 100
    assert all(set(pair) == {"clean", "adversarial", "kind", "category"} for pair in pairs)
    assert all(pair["clean"] != pair["adversarial"] for pair in pairs)
    assert {pair["kind"] for pair in pairs} == KINDS
    assert {pair["category"] for pair in pairs} == set(CATEGORIES)  # the ten harms and none
    assert min(Counter(pair["kind"] for pair in pairs).values()) >= 10


def test_obfuscated_reports_keep_their_primary_category(pairs: list[dict[str, str]], model: TriageModel) -> None:
    clean = model.score_reports([pair["clean"] for pair in pairs])
    adversarial = model.score_reports([pair["adversarial"] for pair in pairs])
    failures = [
        (pair["kind"], before["primary"], after["primary"], pair["adversarial"])
        for pair, before, after in zip(pairs, clean, adversarial)
        if before["primary"] != after["primary"]
    ]
    agreement = 1 - len(failures) / len(pairs)
    print(f"\nprimary category agreement: {agreement:.1%} of {len(pairs)} pairs")
    print(f"disagreements by kind: {dict(Counter(kind for kind, *_ in failures))}")
    for kind, before, after, text in failures:
        print(f"  {kind}: {before} -> {after}: {text}")
    assert agreement >= MIN_AGREEMENT
