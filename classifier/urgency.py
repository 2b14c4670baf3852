"""Urgency: an ordinal model (low < medium < high < critical) plus the taxonomy's rule signals.

The learned model sees the text, the category scores and the signals. The rules exist because
a few situations must never wait on a statistical model: a stated suicide plan with a time,
a sextortion deadline, a meeting arranged soon, abuse being livestreamed now. They can only
raise urgency, and every signal that fired is reported so a reviewer sees why.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin

from classifier.calibration import binary_head, sigmoid
from classifier.taxonomy import NONE, URGENCY_LEVELS

# Patterns run on the diacritic-free, teencode-expanded text (numbers kept), so
# "tối nay", "toi nay" and "tối nay" typed as "toi nay" all match the same rule.
SIGNAL_PATTERNS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "age_under_13": (
            r"\b(?:[1-9]|1[0-2]) ?(?:tuoi|t|yo)\b|\blop (?:[1-6]|mot|hai|ba|bon|nam|sau)\b"
            r"|\b(?:mau giao|mam non|tieu hoc|be gai|be trai)\b"
            r"|\b(?:mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi|muoi mot|muoi hai) tuoi\b"
        ),
        "time_soon": (
            r"\b(?:toi nay|dem nay|chieu nay|trua nay|sang mai|chieu mai|toi mai|ngay mai|mai"
            r" (?:em|chau|con|no|be) (?:di|ra|gap)|ngay bay gio|ngay lap tuc|ngay luc nay|lat nua"
            r"|sap (?:toi|den|gap|di)|trong (?:\d+|vai|mot|hai|ba) ?(?:h|gio|tieng|phut)"
            r"|truoc \d+ ?(?:h|gio)|\d+ ?h (?:toi|dem|sang|chieu) nay)\b"
        ),
        "meeting_plan": (
            r"\b(?:hen (?:gap|ra|di|den|toi|o|tai|em|chau|con|be)|ra gap|di gap|gap mat|gap truc tiep"
            r"|don (?:em|chau|con|be|no) (?:di|o|tai|ve)|khach san|nha nghi|den nha|qua nha|dia chi nha"
            r"|ra (?:cong vien|quan|ben xe)|ru (?:di|ra))\b"
        ),
        "threat_deadline": (
            r"\b(?:neu (?:khong|ko|mai khong|em khong|may khong).{0,60}(?:se|thi) (?:dang|tung|phat tan"
            r"|gui|share|chia se|cong khai)|han chot|dem nguoc|deadline|truoc \d+ ?(?:h|gio)"
            r"|trong (?:\d+|mot|hai|ba) ?(?:h|gio|tieng|phut|ngay))\b"
        ),
        "ongoing_live": (
            r"\b(?:dang (?:phat truc tiep|live|livestream|bi danh|bi dua|bi giu|bi nhot|quay|danh"
            r"|bi bat|xay ra)|truc tiep luc nay|van dang)\b"
        ),
        "alone_or_scared": (
            r"\b(?:mot minh|so lam|so qua|rat so|hoang so|hoang loan|khong dam (?:noi|ke|bao)"
            r"|khong biet lam sao|cuu (?:em|toi|chau|con|voi)|giup (?:em|toi|chau|con) voi)\b"
        ),
        "suicide_plan": (
            r"\b(?:tu tu|tu sat|ket thuc (?:het|tat ca|cuoc doi|moi thu|ban than)|nhay (?:cau|lau|song"
            r"|tu tang)|uong (?:thuoc|het vi)|rach tay|cat tay|khong muon song|chan song|muon chet"
            r"|thu tuyet menh|loi tu biet|tam biet moi nguoi)\b"
        ),
        "child_missing_or_moved": (
            r"\b(?:mat tich|bo nha di|khong ve nha|chua ve nha|bi bat coc|bat coc|dua (?:sang|qua)"
            r" (?:bien gioi|trung quoc|campuchia|lao)|dang bi dua di|mat lien lac)\b"
        ),
        "repeated_contact": (
            r"\b(?:nhieu ngay|lien tuc|ca tuan|moi ngay|hang ngay|ngay nao cung|nhieu lan|suot"
            r" (?:may|nhieu|ca)|may tuan|may thang)\b"
        ),
    }.items()
}
SIGNALS: tuple[str, ...] = tuple(SIGNAL_PATTERNS)
_LEVEL = {name: index for index, name in enumerate(URGENCY_LEVELS)}


def detect_signals(plain_text: str, victim_age: int | None = None) -> list[str]:
    """Names of the urgency signals present in a report's diacritic-free text."""
    fired = [name for name, pattern in SIGNAL_PATTERNS.items() if pattern.search(plain_text)]
    if victim_age is not None and victim_age < 13 and "age_under_13" not in fired:
        fired.insert(0, "age_under_13")
    return fired


def signal_matrix(signal_lists: list[list[str]]) -> np.ndarray:
    """One indicator column per signal, in `SIGNALS` order."""
    rows = np.zeros((len(signal_lists), len(SIGNALS)), dtype=np.float32)
    for i, fired in enumerate(signal_lists):
        for name in fired:
            rows[i, SIGNALS.index(name)] = 1.0
    return rows


def rule_floor(categories: Collection[str], signals: Collection[str]) -> int:
    """The lowest urgency level the taxonomy's rules allow for this report (index into levels)."""
    if not categories or set(categories) == {NONE}:
        return 0
    fired = set(signals)
    floor = _LEVEL["low"]
    soon = "time_soon" in fired
    if "self_harm" in categories and "suicide_plan" in fired:
        floor = max(floor, _LEVEL["critical" if soon or "alone_or_scared" in fired else "high"])
    if "sextortion" in categories:
        floor = max(floor, _LEVEL["critical" if "threat_deadline" in fired else "high"])
    if "grooming" in categories and "meeting_plan" in fired:
        floor = max(floor, _LEVEL["critical" if soon else "high"])
    if {"csam", "violence"} & set(categories) and "ongoing_live" in fired:
        floor = max(floor, _LEVEL["critical"])
    if {"trafficking", "grooming"} & set(categories) and "child_missing_or_moved" in fired:
        floor = max(floor, _LEVEL["critical"])
    return floor


class OrdinalUrgency(BaseEstimator, ClassifierMixin):
    """Ordinal classifier (Frank & Hall): one logistic model for each P(level > k)."""

    def __init__(self, C: float = 2.0, class_weight: str | None = "balanced") -> None:
        self.C = C
        self.class_weight = class_weight

    def fit(self, X: sp.spmatrix, y: np.ndarray) -> OrdinalUrgency:
        y = np.asarray(y)
        self.classes_ = np.arange(len(URGENCY_LEVELS))
        steps = len(URGENCY_LEVELS) - 1
        self.coef_ = np.zeros((steps, X.shape[1]), dtype=np.float32)
        self.intercept_ = np.zeros(steps)
        for k in range(steps):
            target = (y > k).astype(int)
            if target.min() == target.max():
                self.intercept_[k] = 30.0 if target[0] else -30.0
                continue
            model = binary_head(self.C, self.class_weight).fit(X, target)
            self.coef_[k] = model.coef_[0]
            self.intercept_[k] = model.intercept_[0]
        return self

    def decision_function(self, X: sp.spmatrix) -> np.ndarray:
        return np.asarray(X @ self.coef_.T) + self.intercept_

    @staticmethod
    def proba_from_decisions(decisions: np.ndarray) -> np.ndarray:
        """P(level) from the cumulative P(level > k), kept monotone so no level goes negative."""
        above = np.minimum.accumulate(sigmoid(decisions), axis=1)
        ones = np.ones((decisions.shape[0], 1))
        zeros = np.zeros((decisions.shape[0], 1))
        cumulative = np.hstack([ones, above, zeros])
        return cumulative[:, :-1] - cumulative[:, 1:]

    def predict_proba(self, X: sp.spmatrix) -> np.ndarray:
        return self.proba_from_decisions(self.decision_function(X))

    def predict(self, X: sp.spmatrix) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)
