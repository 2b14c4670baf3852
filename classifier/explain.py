"""Explanations: which of the reporter's words pushed a category's score up the most.

A linear score is a sum of feature weight x feature value, so each feature's share is exact.
Shares are spread over the tokens the feature covers and summed per word, and the
top words are shown as the reporter typed them. Only words the model knows from training are
shown, so a rare word (a name, a code, a marker) never leaks into an explanation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from classifier.features import Doc, Encoded
from classifier.normalize import PLACEHOLDERS


def token_contributions(
    doc: Doc,
    encoded: Encoded,
    row_columns: np.ndarray,
    row_values: np.ndarray,
    weights: np.ndarray,
    heads: Sequence[int],
) -> np.ndarray:
    """Each token's share of the linear scores `row . weights[:, heads]` (before intercepts).

    `weights` is (features, all heads); the result is (tokens, len(heads)) and each column
    sums to that head's score. A feature seen several times splits its share between occurrences,
    and an occurrence splits its share evenly over the tokens it covers.
    """
    scores = np.zeros((len(doc.norm.tokens), len(heads)))
    if not len(encoded.columns):
        return scores
    values = row_values[np.searchsorted(row_columns, encoded.columns)]
    _, inverse, counts = np.unique(encoded.columns, return_inverse=True, return_counts=True)
    lengths = encoded.ends - encoded.starts
    share = (values / counts[inverse] / lengths)[:, None] * weights[encoded.columns][:, heads]
    occurrence = np.repeat(np.arange(len(lengths)), lengths)
    first = np.repeat(np.cumsum(lengths) - lengths, lengths)
    token = encoded.starts[occurrence] + np.arange(len(occurrence)) - first
    for head in range(len(heads)):
        scores[:, head] = np.bincount(token, weights=share[occurrence, head], minlength=len(scores))
    return scores


def top_terms(
    doc: Doc,
    encoded: Encoded,
    row_columns: np.ndarray,
    row_values: np.ndarray,
    weights: np.ndarray,
    heads: Sequence[int],
    known_syllables: dict[str, int],
    top_k: int = 5,
) -> list[list[str]]:
    """For each of `heads` (columns of `weights`), the `top_k` words that raise its score most."""
    if not doc.words:
        return [[] for _ in heads]
    token_scores = token_contributions(doc, encoded, row_columns, row_values, weights, heads)
    starts = np.array([start for start, _ in doc.words])
    word_scores = np.add.reduceat(token_scores, starts, axis=0)
    return [_words(doc, word_scores[:, head], known_syllables, top_k) for head in range(len(heads))]


def _words(doc: Doc, word_scores: np.ndarray, known_syllables: dict[str, int], top_k: int) -> list[str]:
    """The best-scoring words as the reporter typed them, skipping words the model never saw."""
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
