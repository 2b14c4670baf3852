"""Explanations: which of the reporter's words pushed a category's score up the most.

A linear score is a sum of feature weight x feature value, so each feature's share is exact.
Shares are spread over the tokens the feature covers and summed per underthesea word, and the
top words are shown as the reporter typed them. Only words the model knows from training are
shown, so a rare word (a name, a code, a marker) never leaks into an explanation.
"""

from __future__ import annotations

import numpy as np

from classifier.features import Doc, Encoded
from classifier.normalize import PLACEHOLDERS


def token_contributions(
    doc: Doc, encoded: Encoded, row_columns: np.ndarray, row_values: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Each token's share of the linear score `row . weights` (before the intercept)."""
    scores = np.zeros(len(doc.norm.tokens))
    if not len(encoded.columns):
        return scores
    values = row_values[np.searchsorted(row_columns, encoded.columns)]
    _, inverse, counts = np.unique(encoded.columns, return_inverse=True, return_counts=True)
    lengths = encoded.ends - encoded.starts
    share = values * weights[encoded.columns] / counts[inverse] / lengths
    for length in np.unique(lengths):
        mask = lengths == length
        for offset in range(int(length)):
            np.add.at(scores, encoded.starts[mask] + offset, share[mask])
    return scores


def top_terms(
    doc: Doc,
    encoded: Encoded,
    row_columns: np.ndarray,
    row_values: np.ndarray,
    weights: np.ndarray,
    known_syllables: dict[str, int],
    top_k: int = 5,
) -> list[str]:
    """The `top_k` words of `doc` with the largest positive contribution to a linear score."""
    if not doc.words:
        return []
    token_scores = token_contributions(doc, encoded, row_columns, row_values, weights)
    starts = np.array([start for start, _ in doc.words])
    word_scores = np.add.reduceat(token_scores, starts)
    terms: list[str] = []
    for index in np.argsort(-word_scores, kind="stable"):
        if word_scores[index] <= 0 or len(terms) >= top_k:
            break
        start, end = doc.words[index]
        tokens = doc.norm.tokens[start:end]
        if not all(t in PLACEHOLDERS or s in known_syllables for t, s in zip(tokens, doc.stripped[start:end])):
            continue
        if any(t in PLACEHOLDERS for t in tokens):
            term = " ".join(f"<{t[2:]}>" if t in PLACEHOLDERS else t for t in tokens)
        else:
            spans = dict.fromkeys(doc.norm.spans[start:end])
            term = " ".join(doc.norm.source[a:b] for a, b in spans)
        if term not in terms:
            terms.append(term)
    return terms
