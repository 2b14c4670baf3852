"""Smoke tests of the performance benchmark's pure parts: no server, no model files, tiny inputs."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import pytest

from bench.load import LevelResult, ServiceResult
from bench.naive import NaiveReference, primary_macro_f1
from bench.perf import (
    QUICK,
    Figures,
    FitResult,
    Latency,
    augment,
    augmented_rows,
    cut,
    mixed_texts,
    paired_latency,
    report,
    sized_texts,
    targets,
)

POOL = [
    "Có người lạ nhắn tin cho con tôi. Nó đòi ảnh nhạy cảm! Tôi phải làm sao?",
    "Em bị bạn cùng lớp chế ảnh. Tụi nó đăng lên nhóm chat. Em không dám đi học.",
    "Trang này bán hàng giả và lừa tiền. Họ không trả lại tiền cho ai cả.",
    "hôm nay buồn quá, bị 4 điểm toán về kiểu gì cũng bị la",
    "Tài khoản kia đăng địa chỉ nhà và số điện thoại của bé. Mong được gỡ xuống sớm.",
]


def test_cut_ends_at_a_word_boundary_near_the_target() -> None:
    text = "một hai ba bốn năm sáu bảy tám chín mười"
    assert cut(text, 100) == text
    assert len(cut(text, 20)) <= 20
    assert not cut(text, 20).endswith(" ")


@pytest.mark.parametrize("target", [30, 120, 400])
def test_sized_texts_are_distinct_and_near_the_target(target: int) -> None:
    texts = sized_texts(POOL, target, 5, seed=target)
    assert len(set(texts)) == 5
    assert all(0.8 * target <= len(t) <= target for t in texts)


def test_mixed_texts_are_distinct_and_mix_reports() -> None:
    texts = mixed_texts(POOL, 150, 40, seed=1)
    assert len(set(texts)) == 40
    assert all(len(t) <= 150 for t in texts)


def test_augmented_rows_grow_the_set_with_marked_distinct_variants() -> None:
    rows = [
        {"id": f"r{i}", "text": text, "categories": ["none"], "urgency": "low", "primary": "none"}
        for i, text in enumerate(POOL)
    ]
    grown = augmented_rows(rows, 60)
    assert len(grown) == 60 and len({r["text"] for r in grown}) == 60
    variants = grown[len(rows):]
    assert all(r["augmented_from"] in {row["id"] for row in rows} and r["augmentations"] for r in variants)


def test_augment_strips_diacritics_and_substitutes_teencode() -> None:
    rng = random.Random(0)
    assert augment("không được", ["stripped"], rng) == "khong duoc"
    assert augment("không biết gì", ["teencode"], random.Random(1)) != "không biết gì"


def test_naive_reference_fits_scores_and_is_timed_beside_ours() -> None:
    primaries = ["sextortion", "cyberbullying", "scam", "none", "privacy"] * 2
    naive = NaiveReference.fit(POOL * 2, primaries)
    assert naive.score_one(POOL[0]).shape == (5,)
    calls: list[str] = []
    ours, tokenising, pipeline = paired_latency(calls.append, naive, POOL, warmup=2)
    assert calls == POOL and len(ours) == len(tokenising) == len(pipeline) == 3
    assert naive.predict(POOL) == primaries[:5]
    assert primary_macro_f1(primaries, primaries) == pytest.approx(5 / 11)  # absent categories count as 0


def test_targets_and_report_render_measured_figures_only() -> None:
    figures = Figures(held_out_rows=10, f1_ours=0.9, f1_naive=0.8)
    figures.latency_ours[350] = Latency(1.0, 2.0, 350)
    figures.latency_naive[350] = Latency(4.0, 8.0, 350)
    figures.batch_ours, figures.batch_ours_parallel, figures.batch_naive = 1500.0, 2500.0, 300.0
    closed = LevelResult(100, 10.0, 5000, 0, 300.0, 900.0, 290.0, 880.0, {"200": 5000})
    paced = LevelResult(100, 10.0, 1000, 0, 10.0, 20.0, 5.0, 9.0, {"200": 1000}, think_s=(0.5, 1.5))
    figures.service = ServiceResult(cold_start_s=2.0, rss_mb=300.0, peak_rss_mb=310.0, levels=[closed, paced])
    figures.training[("ours", 100_000)] = FitResult(200.0, 210.0, 900.0, 0.87)
    rows = targets(figures)
    status = [(name.split(" ")[0], met) for name, _, met in rows]
    assert status == [
        ("single-report", True), ("HTTP", True), ("HTTP", False), ("batch", True), ("training", False),
        ("service", True), ("cold", True),
    ]
    assert "paced" in rows[1][0] and "closed-loop" in rows[2][0]
    args = argparse.Namespace(quick=True, skip_100k=False, model=Path("models/default"))
    text = report(figures, QUICK, args)
    assert "| held-out macro-F1 after training on 100,000 reports | 0.8700 |" in text
    assert "| 3.3 min | **NOT MET** |" in text and "| 1.00 ms | 4.00 ms | 0.25x |" in text
