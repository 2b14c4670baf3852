"""Explanations: which of the reporter's words pushed a category's score up the most.

A linear score is a sum of feature weight x feature value, so each feature's share is exact.
Shares are spread over the tokens the feature covers and summed per underthesea word, and the
top words are shown as the reporter typed them. Only words the model knows from training are
shown, so a rare word (a name, a code, a marker) never leaks into an explanation.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import scipy.sparse as sp

from classifier.features import Doc, TextFeatures
from classifier.normalize import PLACEHOLDERS


def top_terms(
    doc: Doc,
    features: TextFeatures,
    row: sp.csr_matrix,
    weights: np.ndarray,
    occurrences: list[tuple[int, int, int]],
    top_k: int = 5,
) -> list[str]:
    """The `top_k` words of `doc` with the largest positive contribution to a linear score.

    `row` is the report's feature row, `weights` one category's coefficients and
    `occurrences` the (column, start, end) list from `TextFeatures.feature_occurrences`.
    """
    values = dict(zip(row.indices.tolist(), row.data.tolist()))
    counts = Counter(column for column, _, _ in occurrences)
    token_score = np.zeros(len(doc.norm.tokens))
    for column, start, end in occurrences:
        share = values.get(column, 0.0) * weights[column] / counts[column] / (end - start)
        token_score[start:end] += share
    word_score: dict[tuple[int, int], float] = defaultdict(float)
    for start, end in doc.words:
        word_score[(start, end)] = float(token_score[start:end].sum())
    vocabulary = features.vectorizers_["s"].vocabulary_
    terms: list[str] = []
    for (start, end), score in sorted(word_score.items(), key=lambda item: -item[1]):
        if score <= 0 or len(terms) >= top_k:
            break
        tokens = doc.norm.tokens[start:end]
        stripped = doc.stripped[start:end]
        if not all(t in PLACEHOLDERS or s in vocabulary for t, s in zip(tokens, stripped)):
            continue
        if any(t in PLACEHOLDERS for t in tokens):
            term = " ".join(f"<{t[2:]}>" if t in PLACEHOLDERS else t for t in tokens)
        else:
            spans = dict.fromkeys(doc.norm.spans[start:end])
            term = " ".join(doc.norm.source[a:b] for a, b in spans)
        if term not in terms:
            terms.append(term)
    return terms
