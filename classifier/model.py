"""`TriageModel`: the one estimator that turns reports into category and urgency scores.

Training, the CLI, the service and the notebooks all call this object, so preprocessing
exists exactly once. It follows scikit-learn's conventions: `fit` returns self, fitted state
ends in `_`, hyperparameters are constructor arguments (`get_params`, `clone` work).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator
from sklearn.model_selection import StratifiedKFold
from tqdm.auto import tqdm

from classifier.calibration import (
    best_f1_threshold,
    fit_heads,
    fit_platt,
    sigmoid,
)
from classifier.explain import top_terms
from classifier.features import Doc, Encoded, TextFeatures, analyze, resegment
from classifier.normalize import strip_diacritics
from classifier.taxonomy import (
    CATEGORIES,
    NONE,
    URGENCY_LEVELS,
    most_serious,
    seriousness_weight,
)
from classifier.urgency import OrdinalUrgency, detect_signals, rule_floor, signal_matrix

RESULT_KEYS = (
    "id",
    "primary",
    "categories",
    "scores",
    "urgency",
    "urgency_scores",
    "priority",
    "needs_review",
    "signals",
    "explanation",
    "model_version",
)
CRITICAL = URGENCY_LEVELS.index("critical")
PARALLEL_BATCH = 2000  # below this, starting worker processes costs more than they save


def analyze_all(
    texts: Iterable[str | Doc], segmenter: str = "dictionary", n_jobs: int = 1, verbose: bool = False
) -> list[Doc]:
    """Normalise and segment many reports.

    `Doc`s already analysed pass through, re-segmented (not re-normalised) when another
    segmenter made them, so a hyperparameter search analyses its data once.
    """
    items = list(texts)
    todo = [i for i, item in enumerate(items) if not isinstance(item, Doc)]
    if n_jobs == 1 or len(todo) < PARALLEL_BATCH:
        progress = tqdm(todo, desc="tokenising", unit="report") if verbose else todo  # hot path: no bar object
        done = [analyze(items[i], segmenter) for i in progress]
    else:
        chunks = [todo[i : i + 1000] for i in range(0, len(todo), 1000)]
        parts = Parallel(n_jobs=n_jobs)(
            delayed(_analyze_chunk)([items[i] for i in chunk], segmenter)
            for chunk in tqdm(chunks, desc="tokenising", disable=not verbose, unit="chunk")
        )
        done = [doc for part in parts for doc in part]
    for i, doc in zip(todo, done):
        items[i] = doc
    return [resegment(item, segmenter) for item in items]


def _analyze_chunk(texts: list[str], segmenter: str) -> list[Doc]:
    return [analyze(text, segmenter) for text in texts]


def cv_folds(labels: Sequence[str], n_splits: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds on a label, with fewer splits when a class is rarer than `n_splits`."""
    labels = np.asarray(labels)
    _, counts = np.unique(labels, return_counts=True)
    n_splits = int(max(2, min(n_splits, counts.max(), len(labels))))
    rarest = counts.min()
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    if rarest < n_splits:
        stratify = np.where(np.isin(labels, _rare(labels, n_splits)), "__rare__", labels)
    else:
        stratify = labels
    return list(splitter.split(np.zeros(len(labels)), stratify))


def calibration_folds(
    labels: Sequence[str], n_splits: int, max_rows: int, seed: int
) -> tuple[list[tuple[np.ndarray, np.ndarray]], bool]:
    """The folds whose out-of-fold scores calibrate the heads, and whether to refit on all rows.

    Up to `max_rows` rows: `n_splits`-fold CV, then a refit. Above: one stratified fold of
    CV used as a 20% calibration split and no refit, which trains 100k reports in about two
    minutes instead of twenty; with that much data the calibration split costs little signal.
    """
    if len(labels) <= max_rows:
        return cv_folds(labels, n_splits, seed), True
    return cv_folds(labels, 5, seed)[:1], False


def _rare(labels: np.ndarray, n_splits: int) -> list[str]:
    values, counts = np.unique(labels, return_counts=True)
    return values[counts < n_splits].tolist()


class TriageModel(BaseEstimator):
    """Harm categories (multi-label), urgency (ordinal), explanations and review flags."""

    def __init__(
        self,
        C: float = 32.0,
        nb: bool = False,
        urgency_C: float = 8.0,
        cv: int = 5,
        cv_max_rows: int = 50_000,
        word_ngrams: int = 2,
        syllable_ngrams: int = 3,
        char_ngrams: tuple[int, int] = (2, 5),
        min_df: int = 2,
        segmenter: str = "dictionary",
        block_weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
        augment_stripped: bool = True,
        critical_recall: float = 0.9,
        review_margin: float = 0.1,
        explain_top_k: int = 5,
        random_state: int = 0,
        n_jobs: int = 1,
        verbose: bool = False,
    ) -> None:
        self.C = C
        self.nb = nb
        self.urgency_C = urgency_C
        self.cv = cv
        self.cv_max_rows = cv_max_rows
        self.word_ngrams = word_ngrams
        self.syllable_ngrams = syllable_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.segmenter = segmenter
        self.block_weights = block_weights
        self.augment_stripped = augment_stripped
        self.critical_recall = critical_recall
        self.review_margin = review_margin
        self.explain_top_k = explain_top_k
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Iterable[str | Doc], y: Sequence[Mapping[str, Any]]) -> TriageModel:
        """Fit on report texts and labels: each y item has `categories` and `urgency`."""
        docs = analyze_all(X, self.segmenter, self.n_jobs, self.verbose)
        if len(docs) != len(y):
            raise ValueError(f"{len(docs)} texts but {len(y)} labels")
        Y = np.array([[c in item["categories"] for c in CATEGORIES] for item in y], dtype=int)
        urgency = np.array([URGENCY_LEVELS.index(item["urgency"]) for item in y])
        primaries = [most_serious(item["categories"]) for item in y]
        P = np.eye(len(CATEGORIES), dtype=int)[[CATEGORIES.index(p) for p in primaries]]
        folds, refit = calibration_folds(primaries, self.cv, self.cv_max_rows, self.random_state)
        n = len(docs)
        calibration = np.sort(np.concatenate([test for _, test in folds]))  # rows with OOF scores
        if self.augment_stripped:
            docs, source, folds = _with_stripped_copies(docs, folds, self.segmenter, self.n_jobs)
            Y, P, urgency = Y[source], P[source], urgency[source]
        else:
            source = np.arange(n)

        self.features_ = TextFeatures(
            self.word_ngrams,
            self.syllable_ngrams,
            tuple(self.char_ngrams),
            self.min_df,
            block_weights=tuple(self.block_weights),
        )
        M = self.features_.fit_transform(docs)
        if self.verbose:
            print(f"features: {M.shape[1]:,} columns, {len(folds)} calibration fold(s), refit: {refit}")
        oof, self.coef_, self.intercept_ = fit_heads(
            M, Y, folds, self.C, self.n_jobs, self.nb, refit, "category heads" if self.verbose else None
        )
        oof, Y_calibration = oof[calibration], Y[calibration]
        platt = [fit_platt(oof[:, k], Y_calibration[:, k]) for k in range(len(CATEGORIES))]
        self.platt_ = np.array(platt)
        oof_probs = sigmoid(oof * self.platt_[:, 0] + self.platt_[:, 1])
        self.thresholds_ = np.array(
            [best_f1_threshold(oof_probs[:, k], Y_calibration[:, k]) for k in range(len(CATEGORIES))]
        )
        oof_primary, self.primary_coef_, self.primary_intercept_ = fit_heads(
            M, P, folds, self.C, self.n_jobs, self.nb, refit, "primary heads" if self.verbose else None
        )
        oof_primary = oof_primary[calibration].argmax(axis=1)
        self.cv_macro_f1_ = _macro_f1(P[calibration].argmax(axis=1), oof_primary, len(CATEGORIES))
        self._fit_urgency(docs, M, oof_probs, oof_primary, urgency, calibration, source, folds, refit)
        self.categories_ = CATEGORIES
        self.urgency_levels_ = URGENCY_LEVELS
        self.model_version_ = "unsaved"
        return self

    def _fit_urgency(
        self,
        docs: list[Doc],
        M: sp.csr_matrix,
        oof_probs: np.ndarray,
        oof_primary: np.ndarray,
        urgency: np.ndarray,
        calibration: np.ndarray,
        source: np.ndarray,
        folds: list[tuple[np.ndarray, np.ndarray]],
        refit: bool,
    ) -> None:
        """The ordinal urgency head, stacked on out-of-fold category probabilities.

        Its inputs must be out-of-fold, so with a single calibration split it trains on
        that split's rows only (with 5-fold CV there for its own critical threshold).
        """
        signals = [detect_signals(doc.norm.plain) for doc in docs]
        probs = np.zeros((len(docs), len(CATEGORIES)))
        probs[calibration] = oof_probs
        if refit:
            rows, urgency_folds = np.arange(len(docs)), folds
            probs = probs[source]
        else:
            rows = calibration
            urgency_folds = [
                (calibration[train], calibration[test])
                for train, test in cv_folds(urgency[calibration], self.cv, self.random_state)
            ]
        U = self._urgency_matrix(M, probs, signals)
        oof_urgency = np.zeros((len(docs), len(URGENCY_LEVELS)))
        heads = Parallel(n_jobs=self.n_jobs)(
            delayed(OrdinalUrgency(self.urgency_C).fit)(U[train], urgency[train]) for train, _ in urgency_folds
        )
        for head, (_, test) in zip(heads, urgency_folds):
            oof_urgency[test] = head.predict_proba(U[test])
        self.urgency_ = OrdinalUrgency(self.urgency_C).fit(U[rows], urgency[rows])
        forced = np.array(
            [
                rule_floor(cats, signals[i]) == CRITICAL
                for cats, i in zip(self._assign(oof_probs, oof_primary), calibration)
            ]
        )
        self.critical_threshold_ = _critical_threshold(
            oof_urgency[calibration, CRITICAL], urgency[calibration] == CRITICAL, forced, self.critical_recall
        )

    @staticmethod
    def _urgency_matrix(
        M: sp.csr_matrix, category_probs: np.ndarray, signals: list[list[str]]
    ) -> sp.csr_matrix:
        dense = np.hstack([category_probs.astype(np.float32), signal_matrix(signals)])
        return sp.hstack([M, sp.csr_matrix(dense)], format="csr")

    def manifest_fields(self) -> dict[str, Any]:
        """What the manifest records about this model besides hashes and versions."""
        return {
            "mode": "taxonomy",
            "labels": list(self.categories_),
            "urgency_levels": list(self.urgency_levels_),
            "thresholds": dict(zip(self.categories_, self.thresholds_.round(4).tolist())),
            "critical_threshold": round(float(self.critical_threshold_), 4),
            "params": self.get_params(),
        }

    # --------------------------------------------------------------- inference
    def analyze(self, texts: Iterable[str | Doc]) -> list[Doc]:
        return analyze_all(texts, self.segmenter, self.n_jobs)

    def category_probabilities(
        self, docs: Sequence[Doc], encoded: Sequence[Encoded] | None = None
    ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """Feature matrix, calibrated probability of every category (n, K), primary index (n,)."""
        if encoded is None:
            encoded = [self.features_.encode(doc) for doc in docs]
        M = self.features_.transform_encoded(encoded)
        decisions = np.asarray(M @ self._columns("coef_")) + self.intercept_
        primary = (np.asarray(M @ self._columns("primary_coef_")) + self.primary_intercept_).argmax(axis=1)
        return M, sigmoid(decisions * self.platt_[:, 0] + self.platt_[:, 1]), primary

    def _columns(self, name: str) -> np.ndarray:
        """A head's weights as a C-contiguous (features, outputs) array, made once per process.

        `M @ coef_.T` would copy the transposed weights on every call; on the one-report path
        that copy cost more than the product itself.
        """
        cache = self.__dict__.setdefault("_weights_cache", {})
        if name not in cache:
            coef = self.urgency_.coef_ if name == "urgency_" else getattr(self, name)
            cache[name] = np.ascontiguousarray(coef.T)
        return cache[name]

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_weights_cache", None)
        return state

    def _assign(self, probs: np.ndarray, primary: np.ndarray) -> list[list[str]]:
        """Categories of each report: its primary, then the less serious categories that pass.

        The primary head is trained on the taxonomy's `primary` label, so it has learnt the
        order of seriousness from the data; a more serious category that passes its own
        threshold is not assigned but sends the report to review (`more_serious_category`).
        """
        assigned = []
        for row, first in zip(probs, primary):
            if CATEGORIES[first] == NONE:
                assigned.append([NONE])
                continue
            rest = [
                CATEGORIES[k]
                for k in range(first + 1, len(CATEGORIES))
                if CATEGORIES[k] != NONE and row[k] >= self.thresholds_[k]
            ]
            assigned.append([CATEGORIES[first], *rest])
        return assigned

    def _urgency(
        self, M: sp.csr_matrix, probs: np.ndarray, signals: list[list[str]], categories: list[list[str]]
    ) -> tuple[np.ndarray, list[int]]:
        weights = self._columns("urgency_")
        n = M.shape[1]
        dense = np.hstack([probs, signal_matrix(signals)])
        decisions = np.asarray(M @ weights[:n]) + dense @ weights[n:] + self.urgency_.intercept_
        urgency_probs = self.urgency_.proba_from_decisions(decisions)
        levels = []
        for row, cats, fired in zip(urgency_probs, categories, signals):
            if row[CRITICAL] >= self.critical_threshold_:
                level = CRITICAL
            else:
                level = int(row[:CRITICAL].argmax())
            levels.append(max(level, rule_floor(cats, fired)))
        return urgency_probs, levels

    def predict_categories(self, X: Iterable[str | Doc]) -> list[list[str]]:
        """The categories that pass their thresholds, `["none"]` when none does."""
        _, probs, primary = self.category_probabilities(self.analyze(X))
        return self._assign(probs, primary)

    def predict(self, X: Iterable[str | Doc]) -> np.ndarray:
        """The primary category of each report."""
        return np.array([most_serious(cats) for cats in self.predict_categories(X)])

    def score_reports(
        self,
        texts: Sequence[str | Doc],
        ids: Sequence[str] | None = None,
        metadata: Sequence[Mapping[str, Any] | None] | None = None,
    ) -> list[dict[str, Any]]:
        """Full result records (see `RESULT_KEYS`) for a batch of reports.

        Batches of `PARALLEL_BATCH` reports or more are split over `n_jobs` forked worker
        processes where the platform can fork: each inherits the loaded model (nothing is
        pickled but the texts and the records), so a backlog uses every core.
        """
        texts = list(texts)
        ids = list(ids) if ids is not None else [str(i) for i in range(len(texts))]
        metadata = list(metadata) if metadata is not None else [None] * len(texts)
        workers = effective_n_jobs(self.n_jobs) if len(texts) >= PARALLEL_BATCH else 1
        if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
            return self._score(texts, ids, metadata)
        size = -(-len(texts) // (4 * workers))  # a few parts per worker evens out their speeds
        parts = [(texts[a : a + size], ids[a : a + size], metadata[a : a + size]) for a in range(0, len(texts), size)]
        with multiprocessing.get_context("fork").Pool(workers, _set_worker_model, (self,)) as pool:
            return [record for part in pool.starmap(_score_in_worker, parts) for record in part]

    def _score(
        self, texts: list[str | Doc], ids: list[str], metadata: list[Mapping[str, Any] | None]
    ) -> list[dict[str, Any]]:
        docs = analyze_all(texts, self.segmenter)
        encoded = [self.features_.encode(doc) for doc in docs]
        M, probs, primary = self.category_probabilities(docs, encoded)
        categories = self._assign(probs, primary)
        signals = [
            detect_signals(doc.norm.plain, _victim_age(meta)) for doc, meta in zip(docs, metadata)
        ]
        urgency_probs, levels = self._urgency(M, probs, signals, categories)
        records = []
        for i, doc in enumerate(docs):
            row = slice(M.indptr[i], M.indptr[i + 1])
            heads = [CATEGORIES.index(category) for category in categories[i]]
            terms = top_terms(
                doc,
                encoded[i],
                M.indices[row],
                M.data[row],
                self._columns("coef_"),
                heads,
                self.features_.vocabulary_["s"],
                self.explain_top_k,
            )
            explanation = dict(zip(categories[i], terms))
            records.append(
                self._record(ids[i], doc, probs[i], categories[i], urgency_probs[i], levels[i], signals[i], explanation)
            )
        return records

    def _record(
        self,
        report_id: str,
        doc: Doc,
        probs: np.ndarray,
        categories: list[str],
        urgency_probs: np.ndarray,
        level: int,
        signals: list[str],
        explanation: dict[str, list[str]],
    ) -> dict[str, Any]:
        primary = most_serious(categories)
        review = self._review_reasons(doc, probs, categories, urgency_probs, level)
        harm = max(probs[k] for k, c in enumerate(CATEGORIES) if c != NONE)
        within_band = 0.6 * seriousness_weight(primary) + 0.4 * float(harm)
        return {
            "id": report_id,
            "primary": primary,
            "categories": categories,
            "scores": {c: round(float(p), 4) for c, p in zip(CATEGORIES, probs)},
            "urgency": URGENCY_LEVELS[level],
            "urgency_scores": {u: round(float(p), 4) for u, p in zip(URGENCY_LEVELS, urgency_probs)},
            "priority": round((level + 0.99 * within_band) / len(URGENCY_LEVELS), 4),
            "needs_review": bool(review),
            "signals": [f"urgency:{name}" for name in signals] + [f"review:{r}" for r in review],
            "explanation": explanation,
            "model_version": self.model_version_,
        }

    def _review_reasons(
        self,
        doc: Doc,
        probs: np.ndarray,
        categories: list[str],
        urgency_probs: np.ndarray,
        level: int,
    ) -> list[str]:
        """Why a human should look at this report before it is routed (empty: no reason)."""
        reasons = []
        harm = [k for k, c in enumerate(CATEGORIES) if c != NONE]
        near = np.abs(probs[harm] - self.thresholds_[harm]) < self.review_margin
        if near.any():
            reasons.append("near_threshold")
        first = CATEGORIES.index(categories[0])
        if any(probs[k] >= self.thresholds_[k] for k in range(first) if CATEGORIES[k] != NONE):
            reasons.append("more_serious_category")
        none_k = CATEGORIES.index(NONE)
        if categories == [NONE]:
            if probs[none_k] < self.thresholds_[none_k]:
                reasons.append("no_confident_category")
            if level > 0:
                reasons.append("urgency_without_category")
        elif probs[none_k] >= self.thresholds_[none_k]:
            reasons.append("conflicting_none")
        if urgency_probs.max() < 0.5:
            reasons.append("uncertain_urgency")
        if len(doc.norm.tokens) < 4:
            reasons.append("too_short")
        elif self.features_.known_syllable_share(doc) < 0.5:
            reasons.append("unfamiliar_text")
        return reasons


_worker_model: TriageModel | None = None  # set in each forked scoring worker


def _set_worker_model(model: TriageModel) -> None:
    global _worker_model
    _worker_model = model


def _score_in_worker(
    texts: list[str | Doc], ids: list[str], metadata: list[Mapping[str, Any] | None]
) -> list[dict[str, Any]]:
    assert _worker_model is not None
    return _worker_model._score(texts, ids, metadata)


def _with_stripped_copies(
    docs: list[Doc], folds: list[tuple[np.ndarray, np.ndarray]], segmenter: str, n_jobs: int
) -> tuple[list[Doc], np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Add a diacritic-free copy of every report typed with diacritics.

    Returns the docs, the source row of each, and folds in which a copy trains only where
    its source trains and is never scored out of fold, so no report leaks into its own test.
    """
    with_marks = [i for i, doc in enumerate(docs) if strip_diacritics(doc.norm.source) != doc.norm.source][::2]
    copies = analyze_all([strip_diacritics(docs[i].norm.source) for i in with_marks], segmenter, n_jobs)
    source = np.concatenate([np.arange(len(docs)), np.array(with_marks, dtype=int)])
    copy_rows = len(docs) + np.arange(len(with_marks))
    extended = []
    for train, test in folds:
        in_train = np.isin(source[copy_rows], train)
        extended.append((np.concatenate([train, copy_rows[in_train]]), test))
    return docs + copies, source, extended


def _macro_f1(truth: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    """Macro-F1 over `n_classes` integer labels (fast: it runs inside threshold search)."""
    tp = np.bincount(truth[truth == predicted], minlength=n_classes)
    support = np.bincount(truth, minlength=n_classes)
    chosen = np.bincount(predicted, minlength=n_classes)
    denominator = support + chosen
    f1 = np.divide(2 * tp, denominator, out=np.zeros(n_classes), where=denominator > 0)
    return float(f1.mean())


def _victim_age(metadata: Mapping[str, Any] | None) -> int | None:
    if not metadata:
        return None
    age = metadata.get("victim_age")
    return int(age) if isinstance(age, int | float) else None


def _critical_threshold(
    prob: np.ndarray, is_critical: np.ndarray, forced: np.ndarray, recall: float
) -> float:
    """The highest P(critical) threshold whose out-of-fold recall still reaches `recall`.

    Reports the rules already make critical (`forced`) count as found at any threshold, so
    the learned part only has to find the rest.
    """
    if not is_critical.any():
        return 1.0
    needed = int(np.ceil(recall * is_critical.sum())) - int(np.sum(forced & is_critical))
    if needed <= 0:
        return 0.5
    ranked = np.sort(prob[is_critical & ~forced])[::-1]
    return float(min(0.5, ranked[min(needed, len(ranked)) - 1]))
