"""Out-of-fold scores, Platt calibration and threshold choice for one-vs-rest linear heads.

Probabilities and thresholds are fitted on out-of-fold decision values, never on scores of
the rows a head was trained on, which would be over-confident and give useless thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression
from tqdm.auto import tqdm

THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)
TOLERANCE = 1e-2


def binary_head(C: float, class_weight: str | None = "balanced") -> LogisticRegression:
    """The linear model used for every binary head.

    liblinear's dual solver: with far more features than reports it reaches the same L2
    optimum tens of times faster than the primal solvers. Its stopping tolerance is looser
    than scikit-learn's default: held-out AUCs agree to four decimals and fits are 1.6x faster.
    """
    return LogisticRegression(
        C=C,
        class_weight=class_weight,
        solver="liblinear",
        dual=True,
        max_iter=2000,
        tol=TOLERANCE,
        random_state=0,  # liblinear visits coordinates in random order: same data, same model
    )


def log_count_ratio(M: sp.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """NB-SVM feature scaling (Wang & Manning 2012): log of the class-conditional feature ratio."""
    positive = np.asarray(M[y == 1].sum(axis=0)).ravel() + alpha
    negative = np.asarray(M[y == 0].sum(axis=0)).ravel() + alpha
    return np.log((positive / positive.sum()) / (negative / negative.sum())).astype(np.float32)


def _head(M: sp.csr_matrix, y: np.ndarray, C: float, nb: bool) -> tuple[LogisticRegression, np.ndarray | None]:
    """A fitted binary head and, with `nb`, the feature scaling it was fitted on."""
    if not nb:
        return binary_head(C).fit(M, y), None
    ratio = log_count_ratio(M, y)
    return binary_head(C).fit(M @ sp.diags(ratio), y), ratio


def _fit_decisions(
    M: sp.csr_matrix,
    y: np.ndarray,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    C: float,
    nb: bool,
    refit: bool,
) -> tuple[np.ndarray, np.ndarray | None, float]:
    """OOF decision values for one binary target, then the effective weights.

    With `refit` the weights come from a last fit on all rows; without, from the last
    fold's model (large data with a single calibration split: the refit would cost more
    than the 20% of rows it adds are worth).
    """
    oof = np.zeros(M.shape[0])
    if y.min() == y.max():
        return oof + (10.0 if y[0] else -10.0), None, 10.0 if y[0] else -10.0
    weights, bias = None, 10.0 if y[0] else -10.0
    for train, test in folds:
        if y[train].min() == y[train].max():
            oof[test] = 10.0 if y[train][0] else -10.0
            continue
        head, ratio = _head(M[train], y[train], C, nb)
        weights = head.coef_[0] * (ratio if ratio is not None else 1.0)
        bias = float(head.intercept_[0])
        oof[test] = M[test] @ weights + bias
    if refit:
        head, ratio = _head(M, y, C, nb)
        weights, bias = head.coef_[0] * (ratio if ratio is not None else 1.0), float(head.intercept_[0])
    return oof, weights, bias


def fit_heads(
    M: sp.csr_matrix,
    Y: np.ndarray,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    C: float,
    n_jobs: int = 1,
    nb: bool = False,
    refit: bool = True,
    progress: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit one head per column of Y: (oof decisions (n, K), coef (K, F), intercept (K,)).

    With `nb`, each head sees NB-scaled features; the scaling is folded into its weights,
    so scoring stays one sparse product. `progress` names a progress bar over the heads.
    """
    finished = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_fit_decisions)(M, Y[:, k], folds, C, nb, refit) for k in range(Y.shape[1])
    )
    results = list(tqdm(finished, total=Y.shape[1], desc=progress, disable=progress is None, unit="head"))
    oof = np.column_stack([decisions for decisions, _, _ in results])
    coef = np.zeros((Y.shape[1], M.shape[1]), dtype=np.float32)
    intercept = np.zeros(Y.shape[1])
    for k, (_, weights, bias) in enumerate(results):
        if weights is not None:
            coef[k] = weights
        intercept[k] = bias
    return oof, coef, intercept


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def fit_platt(decisions: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling: p = sigmoid(a * decision + b), fitted on out-of-fold decisions."""
    if y.min() == y.max():
        return 1.0, 0.0
    model = LogisticRegression(C=1e4, solver="lbfgs").fit(decisions.reshape(-1, 1), y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def best_f1_threshold(probabilities: np.ndarray, y: np.ndarray) -> float:
    """The probability threshold with the best F1 on out-of-fold scores (0.5 without positives)."""
    if y.sum() == 0:
        return 0.5
    best, best_f1 = 0.5, -1.0
    positives = y.astype(bool)
    for threshold in THRESHOLD_GRID:
        predicted = probabilities >= threshold
        tp = np.sum(predicted & positives)
        f1 = 2 * tp / (predicted.sum() + positives.sum())
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(threshold), f1
    return best
