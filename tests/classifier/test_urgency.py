"""Urgency rule signals and floors."""

from __future__ import annotations

import numpy as np

from classifier.normalize import normalize
from classifier.taxonomy import URGENCY_LEVELS
from classifier.urgency import OrdinalUrgency, detect_signals, rule_floor


def signals(text: str, age: int | None = None) -> list[str]:
    return detect_signals(normalize(text).plain, age)


def test_signals_fire_with_and_without_diacritics() -> None:
    for text in ("Tối nay hắn hẹn gặp cháu ở công viên", "toi nay han hen gap chau o cong vien"):
        assert {"time_soon", "meeting_plan"} <= set(signals(text))


def test_age_under_13_from_text_or_metadata() -> None:
    assert "age_under_13" in signals("con tôi 9 tuổi bị nhắn tin")
    assert "age_under_13" not in signals("con tôi 15 tuổi bị nhắn tin")
    assert "age_under_13" in signals("con tôi bị nhắn tin", age=10)


def test_times_and_ages_typed_with_units_are_signals() -> None:
    assert "threat_deadline" in signals("nó dọa đăng ảnh nếu không chuyển tiền trước 9h tối nay")
    assert "age_under_13" in signals("em gai e 11t bi nguoi la nhan tin")


def test_suicide_plan_and_deadline_signals() -> None:
    assert "suicide_plan" in signals("chán sống quá, tối nay kết thúc hết")
    assert "threat_deadline" in signals("nếu không chuyển tiền thì nó sẽ đăng ảnh trong 24h")


def test_floors_only_raise_for_harm_categories() -> None:
    fired = ["suicide_plan", "time_soon"]
    assert URGENCY_LEVELS[rule_floor(["self_harm"], fired)] == "critical"
    assert rule_floor(["none"], fired) == 0
    assert URGENCY_LEVELS[rule_floor(["grooming"], ["meeting_plan"])] == "high"
    assert URGENCY_LEVELS[rule_floor(["grooming"], ["meeting_plan", "time_soon"])] == "critical"


def test_ordinal_probabilities_are_a_distribution() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = np.clip((X[:, 0] * 1.5 + 1.5).round().astype(int), 0, 3)
    probs = OrdinalUrgency(C=1.0).fit(X, y).predict_proba(X)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert (probs >= 0).all()
    assert (probs.argmax(axis=1) == y).mean() > 0.6
