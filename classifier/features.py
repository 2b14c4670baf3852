"""Text -> sparse TF-IDF features, computed once per report and shared by every model head.

Three blocks, each L2-normalised on its own so none drowns the others:

- `w`: underthesea words (with diacritics), uni- and bigrams: "người_lạ", "dụ_dỗ cháu";
- `s`: diacritic-free syllable 1..3-grams, so "nguoi la" typed without marks matches "người lạ";
- `c`: diacritic-free character n-grams inside each token, for typos, teencode and leet left overs.

A report is encoded once into the columns of its feature occurrences and the token range of
each; the TF-IDF row and the explanation are both computed from that encoding, so scoring
walks the text once and training and serving share one code path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from underthesea import word_tokenize

from classifier.normalize import Normalized, normalize

BLOCKS = ("w", "s", "c")


@dataclass(frozen=True, slots=True)
class Doc:
    """A normalised, word-segmented report: the only input the feature blocks see."""

    norm: Normalized
    words: tuple[tuple[int, int], ...]  # token ranges [start, end) of underthesea words
    stripped: tuple[str, ...]  # diacritic-free tokens, computed once


@dataclass(frozen=True, slots=True)
class Encoded:
    """In-vocabulary feature occurrences of one report: global column, token start and end."""

    columns: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    block_bounds: tuple[int, ...]  # occurrences of block i are [bounds[i], bounds[i+1])


def _tagger() -> Any:
    """underthesea's word-segmentation CRF, loaded the way `word_tokenize` loads it."""
    from underthesea.pipeline import word_tokenize as module

    if module.word_tokenize_model is None:
        word_tokenize("khởi động")
    return module.word_tokenize_model


def segment(tokens: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """Group normalised syllables into words with underthesea's word-segmentation model.

    The tokens are already clean syllables, so they go straight to the CRF tagger that
    `word_tokenize` uses, skipping its regex tokeniser (a sixth of its time). A test checks
    that the result equals `word_tokenize` on the joined text.
    """
    if not tokens:
        return ()
    tags = _tagger().predict([[token] for token in tokens])
    ranges: list[tuple[int, int]] = []
    for i, tag in enumerate(tags):
        if tag == "I-W" and ranges:
            ranges[-1] = (ranges[-1][0], i + 1)
        else:
            ranges.append((i, i + 1))
    return tuple(ranges)


def analyze(text: str) -> Doc:
    """Normalise and segment one report: the expensive step, done once per report."""
    norm = normalize(text)
    return Doc(norm, segment(norm.tokens), norm.stripped_tokens)


def occurrences(
    doc: Doc, block: str, word_n: int, syllable_n: int, char_n: tuple[int, int]
) -> list[tuple[str, int, int]]:
    """Every feature string of one block in `doc`, with the token range it covers."""
    out: list[tuple[str, int, int]] = []
    if block == "w":
        tokens = doc.norm.tokens
        words = doc.words
        names = ["_".join(tokens[a:b]) for a, b in words]
        for n in range(1, word_n + 1):
            for i in range(len(names) - n + 1):
                out.append((" ".join(names[i : i + n]), words[i][0], words[i + n - 1][1]))
    elif block == "s":
        stripped = doc.stripped
        for n in range(1, syllable_n + 1):
            for i in range(len(stripped) - n + 1):
                out.append((" ".join(stripped[i : i + n]), i, i + n))
    else:
        low, high = char_n
        for i, token in enumerate(doc.stripped):
            padded = f" {token} "
            for n in range(low, min(high, len(padded)) + 1):
                for j in range(len(padded) - n + 1):
                    out.append((padded[j : j + n], i, i + 1))
    return out


class TextFeatures(BaseEstimator, TransformerMixin):
    """TF-IDF (sublinear tf, smooth idf, L2 per block) over the three blocks of `Doc`s."""

    def __init__(
        self,
        word_ngrams: int = 2,
        syllable_ngrams: int = 3,
        char_ngrams: tuple[int, int] = (2, 5),
        min_df: int = 2,
        max_features: int | None = 200_000,
        block_weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    ) -> None:
        self.word_ngrams = word_ngrams
        self.syllable_ngrams = syllable_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_features = max_features
        self.block_weights = block_weights

    def _occurrences(self, doc: Doc, block: str) -> list[tuple[str, int, int]]:
        return occurrences(doc, block, self.word_ngrams, self.syllable_ngrams, tuple(self.char_ngrams))

    def fit(self, docs: Sequence[Doc], y: object = None) -> TextFeatures:
        """Learn each block's vocabulary (min_df, max_features) and idf from `docs`."""
        self.vocabulary_: dict[str, dict[str, int]] = {}
        idf_parts = []
        offset = 0
        self.offsets_: dict[str, int] = {}
        min_df = min(self.min_df, max(1, len(docs)))
        for block in BLOCKS:
            df: Counter[str] = Counter()
            for doc in docs:
                df.update({name for name, _, _ in self._occurrences(doc, block)})
            kept = [name for name, count in df.items() if count >= min_df]
            if self.max_features is not None and len(kept) > self.max_features:
                kept = sorted(kept, key=lambda name: (-df[name], name))[: self.max_features]
            kept.sort()
            self.vocabulary_[block] = {name: offset + i for i, name in enumerate(kept)}
            counts = np.array([df[name] for name in kept], dtype=np.float64)
            idf_parts.append(np.log((1 + len(docs)) / (1 + counts)) + 1.0)
            self.offsets_[block] = offset
            offset += len(kept)
        self.idf_ = np.concatenate(idf_parts).astype(np.float32)
        self.n_features_ = offset
        return self

    def encode(self, doc: Doc) -> Encoded:
        """Columns and token ranges of the report's in-vocabulary feature occurrences."""
        columns: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        bounds = [0]
        for block in BLOCKS:
            vocabulary = self.vocabulary_[block]
            for name, start, end in self._occurrences(doc, block):
                column = vocabulary.get(name)
                if column is not None:
                    columns.append(column)
                    starts.append(start)
                    ends.append(end)
            bounds.append(len(columns))
        return Encoded(
            np.array(columns, dtype=np.int64),
            np.array(starts, dtype=np.int64),
            np.array(ends, dtype=np.int64),
            tuple(bounds),
        )

    def _row(self, encoded: Encoded) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of the report's TF-IDF row."""
        all_columns = []
        all_values = []
        for b, weight in enumerate(self.block_weights):
            lo, hi = encoded.block_bounds[b], encoded.block_bounds[b + 1]
            if lo == hi:
                continue
            columns, counts = np.unique(encoded.columns[lo:hi], return_counts=True)
            values = (1.0 + np.log(counts)) * self.idf_[columns]
            values *= weight / np.sqrt(np.dot(values, values))
            all_columns.append(columns)
            all_values.append(values)
        if not all_columns:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.concatenate(all_columns), np.concatenate(all_values).astype(np.float32)

    def transform_encoded(self, encoded: Sequence[Encoded]) -> sp.csr_matrix:
        rows = [self._row(e) for e in encoded]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(columns) for columns, _ in rows])
        indices = np.concatenate([columns for columns, _ in rows]) if rows else np.zeros(0, np.int64)
        data = np.concatenate([values for _, values in rows]) if rows else np.zeros(0, np.float32)
        return sp.csr_matrix((data, indices, indptr), shape=(len(rows), self.n_features_))

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        return self.transform_encoded([self.encode(doc) for doc in docs])

    def known_syllable_share(self, doc: Doc) -> float:
        """Share of the report's syllables the model saw in training (low: not Vietnamese or gibberish)."""
        if not doc.stripped:
            return 0.0
        vocabulary = self.vocabulary_["s"]
        return sum(token in vocabulary for token in doc.stripped) / len(doc.stripped)

    def feature_names(self) -> np.ndarray:
        names = np.empty(self.n_features_, dtype=object)
        for vocabulary in self.vocabulary_.values():
            for name, column in vocabulary.items():
                names[column] = name
        return names
