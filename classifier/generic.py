"""`TextClassifier`: the generic single-label mode for any labelled Vietnamese text.

Same normalisation and features as `TriageModel` (so what is learnt about Vietnamese text
carries over), one calibrated linear head per class, and per-class score offsets tuned on
out-of-fold scores for macro-F1, because the data scientists' labels are rarely balanced.

On top of the shared blocks, an extra character n-gram block over the normalised text *with*
diacritics, n-grams running across word boundaries: the shared `c` block strips the marks
and stays inside one token, and on open-domain comments (ViHSD) both carry signal
(cross-validated macro-F1 +0.008). It lives here, not in `TextFeatures`, because the
taxonomy model and its token-level explanations do not use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score

from classifier.calibration import fit_heads, fit_platt, sigmoid
from classifier.features import Doc, TextFeatures
from classifier.model import analyze_all, calibration_folds

OFFSET_GRID = np.round(np.arange(-0.3, 0.301, 0.02), 3)


class TextClassifier(BaseEstimator, ClassifierMixin):
    """Single-label text classifier over the project's Vietnamese features."""

    def __init__(
        self,
        C: float = 1.0,
        nb: bool = False,
        cv: int = 5,
        cv_max_rows: int = 50_000,
        word_ngrams: int = 2,
        syllable_ngrams: int = 3,
        char_ngrams: tuple[int, int] = (2, 5),
        accent_char_ngrams: tuple[int, int] | None = (1, 4),
        min_df: int = 2,
        segmenter: str = "crf",
        tune_offsets: bool = True,
        random_state: int = 0,
        n_jobs: int = 1,
        verbose: bool = False,
    ) -> None:
        self.C = C
        self.nb = nb
        self.cv = cv
        self.cv_max_rows = cv_max_rows
        self.word_ngrams = word_ngrams
        self.syllable_ngrams = syllable_ngrams
        self.char_ngrams = char_ngrams
        self.accent_char_ngrams = accent_char_ngrams
        self.min_df = min_df
        self.segmenter = segmenter
        self.tune_offsets = tune_offsets
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def fit(self, X: Iterable[str | Doc], y: Sequence[Any]) -> TextClassifier:
        docs = analyze_all(X, self.segmenter, self.n_jobs, self.verbose)
        labels = np.array([str(label) for label in y])
        if len(docs) != len(labels):
            raise ValueError(f"{len(docs)} texts but {len(labels)} labels")
        self.classes_ = np.unique(labels)
        if len(self.classes_) < 2:
            raise ValueError("need at least two classes to train a classifier")
        Y = (labels[:, None] == self.classes_[None, :]).astype(int)
        folds, refit = calibration_folds(labels, self.cv, self.cv_max_rows, self.random_state)
        calibration = np.sort(np.concatenate([test for _, test in folds]))
        self.features_ = TextFeatures(
            self.word_ngrams, self.syllable_ngrams, tuple(self.char_ngrams), self.min_df
        )
        M = self.features_.fit_transform(docs)
        self.accent_chars_ = None
        if self.accent_char_ngrams is not None:
            self.accent_chars_ = TfidfVectorizer(
                analyzer="char",
                ngram_range=tuple(self.accent_char_ngrams),
                sublinear_tf=True,
                min_df=min(self.min_df, len(docs)),
                dtype=np.float32,
            )
            M = _joined(M, self.accent_chars_.fit_transform(_accented(docs)))
        oof, self.coef_, self.intercept_ = fit_heads(
            M, Y, folds, self.C, self.n_jobs, self.nb, refit, "heads" if self.verbose else None
        )
        oof, Y, labels = oof[calibration], Y[calibration], labels[calibration]
        self.platt_ = np.array([fit_platt(oof[:, k], Y[:, k]) for k in range(len(self.classes_))])
        oof_probs = self._normalise(sigmoid(oof * self.platt_[:, 0] + self.platt_[:, 1]))
        self.offsets_ = np.zeros(len(self.classes_))
        if self.tune_offsets:
            self.offsets_ = _tune_offsets(oof_probs, labels, self.classes_)
        self.cv_macro_f1_ = float(
            f1_score(labels, self.classes_[(oof_probs + self.offsets_).argmax(axis=1)], average="macro")
        )
        self.model_version_ = "unsaved"
        return self

    def _matrix(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        """Shared TF-IDF blocks, then the accented character block when there is one."""
        M = self.features_.transform(docs)
        if self.accent_chars_ is None:
            return M
        return _joined(M, self.accent_chars_.transform(_accented(docs)))

    @staticmethod
    def _normalise(probs: np.ndarray) -> np.ndarray:
        return probs / np.clip(probs.sum(axis=1, keepdims=True), 1e-12, None)

    def predict_proba(self, X: Iterable[str | Doc]) -> np.ndarray:
        M = self._matrix(analyze_all(X, self.segmenter, self.n_jobs))
        decisions = np.asarray(M @ self.coef_.T) + self.intercept_
        return self._normalise(sigmoid(decisions * self.platt_[:, 0] + self.platt_[:, 1]))

    def predict(self, X: Iterable[str | Doc]) -> np.ndarray:
        return self.classes_[(self.predict_proba(X) + self.offsets_).argmax(axis=1)]

    def score_reports(
        self, texts: Sequence[str | Doc], ids: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """One record per text: `id`, `label`, `scores` and `model_version`."""
        probs = self.predict_proba(texts)
        ids = list(ids) if ids is not None else [str(i) for i in range(len(probs))]
        return [
            {
                "id": report_id,
                "label": str(self.classes_[(row + self.offsets_).argmax()]),
                "scores": {str(c): round(float(p), 4) for c, p in zip(self.classes_, row)},
                "model_version": self.model_version_,
            }
            for report_id, row in zip(ids, probs)
        ]

    def manifest_fields(self) -> dict[str, Any]:
        return {
            "mode": "generic",
            "labels": self.classes_.tolist(),
            "offsets": dict(zip(self.classes_.tolist(), self.offsets_.round(4).tolist())),
            "cv_macro_f1": round(self.cv_macro_f1_, 4),
            "params": self.get_params(),
        }


def _joined(shared: sp.csr_matrix, accented: sp.csr_matrix) -> sp.csr_matrix:
    M = sp.hstack([shared, accented], format="csr")
    M.sort_indices()
    return M


def _accented(docs: Sequence[Doc]) -> list[str]:
    """Normalised tokens with their diacritics, space-joined for the character analyzer."""
    return [" ".join(doc.norm.tokens) for doc in docs]


def _tune_offsets(probs: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Coordinate ascent on per-class additive offsets for out-of-fold macro-F1."""
    offsets = np.zeros(len(classes))

    def macro(candidate: np.ndarray) -> float:
        return f1_score(labels, classes[(probs + candidate).argmax(axis=1)], average="macro")

    best = macro(offsets)
    for _ in range(3):
        improved = False
        for k in range(len(classes)):
            for value in OFFSET_GRID:
                trial = offsets.copy()
                trial[k] = value
                score = macro(trial)
                if score > best + 1e-6:
                    best, offsets, improved = score, trial, True
        if not improved:
            break
    return offsets
