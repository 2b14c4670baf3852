"""Text -> sparse TF-IDF features, computed once per report and shared by every model head.

Three blocks, each L2-normalised on its own so none drowns the others:

- `w`: words (with diacritics, see `segment.py`), uni- and bigrams: "người_lạ", "dụ_dỗ cháu";
- `s`: diacritic-free syllable 1..3-grams, so "nguoi la" typed without marks matches "người lạ";
- `c`: diacritic-free character n-grams inside each token, for typos, teencode and leet left overs.

A report is encoded once into the columns of its feature occurrences and the token range of
each; the TF-IDF row and the explanation are both computed from that encoding, so scoring
walks the text once and training and serving share one code path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import repeat
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from classifier.normalize import Normalized, normalize
from classifier.segment import segmenter as segment_with

BLOCKS = ("w", "s", "c")
CHAR_CACHE_SIZE = 200_000  # distinct tokens; bounds the cache's memory at a few tens of MB


@dataclass(frozen=True, slots=True)
class Doc:
    """A normalised, word-segmented report: the only input the feature blocks see."""

    norm: Normalized
    words: tuple[tuple[int, int], ...]  # token ranges [start, end) of words
    stripped: tuple[str, ...]  # diacritic-free tokens, computed once
    segmenter: str  # which of `classifier.segment.SEGMENTERS` made `words`


@dataclass(frozen=True, slots=True)
class Encoded:
    """In-vocabulary feature occurrences of one report: global column, token start and end."""

    columns: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


def analyze(text: str, segmenter: str = "dictionary") -> Doc:
    """Normalise and segment one report: the expensive step, done once per report."""
    norm = normalize(text)
    return Doc(norm, segment_with(segmenter)(norm.tokens), norm.stripped_tokens, segmenter)


def resegment(doc: Doc, segmenter: str) -> Doc:
    """`doc` with words from another segmenter (normalisation is not repeated)."""
    if doc.segmenter == segmenter:
        return doc
    return replace(doc, words=segment_with(segmenter)(doc.norm.tokens), segmenter=segmenter)


def _char_grams(token: str, low: int, high: int) -> list[str]:
    """Character `low`..`high`-grams of one token padded with spaces (so word edges count)."""
    padded = f" {token} "
    return [padded[j : j + n] for n in range(low, min(high, len(padded)) + 1) for j in range(len(padded) - n + 1)]


def _ngrams(items: Sequence[str], n: int) -> Sequence[str]:
    return items if n == 1 else [" ".join(items[i : i + n]) for i in range(len(items) - n + 1)]


def _lookup(
    vocabulary: dict[str, int], names: Sequence[str], starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns of the in-vocabulary `names`, with their token ranges."""
    columns = np.fromiter(map(vocabulary.get, names, repeat(-1)), dtype=np.int64, count=len(names))
    known = columns >= 0
    return columns[known], starts[known], ends[known]


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

    def fit(self, docs: Sequence[Doc], y: object = None) -> TextFeatures:
        """Learn each block's vocabulary (min_df, max_features) and idf from `docs`."""
        self._fit(docs)
        return self

    def fit_transform(self, docs: Sequence[Doc], y: object = None) -> sp.csr_matrix:
        """`fit` then `transform`, generating each report's n-grams once (the training hot path)."""
        return self._matrix([self._row(columns) for columns in self._fit(docs)])

    def _fit(self, docs: Sequence[Doc]) -> list[np.ndarray]:
        """Fit, and return each report's in-vocabulary columns.

        Every n-gram string gets a provisional id the first time it is seen, so each report is
        walked once; a token's character n-grams are generated once per distinct token.
        """
        self.__dict__.pop("_char_cache", None)
        ids: dict[str, dict[str, int]] = {block: {} for block in BLOCKS}
        token_chars: dict[str, np.ndarray] = {}
        low, high = self.char_ngrams
        per_doc: list[list[np.ndarray]] = []
        for doc in docs:
            tokens = doc.norm.tokens
            words = ["_".join(tokens[a:b]) for a, b in doc.words]
            parts = []
            for block, items, longest in (("w", words, self.word_ngrams), ("s", doc.stripped, self.syllable_ngrams)):
                table = ids[block]
                grams = [gram for n in range(1, longest + 1) for gram in _ngrams(items, n)]
                parts.append(np.array([table.setdefault(gram, len(table)) for gram in grams], dtype=np.int64))
            chars = ids["c"]
            for token in doc.stripped:
                if token not in token_chars:
                    grams = _char_grams(token, low, high)
                    token_chars[token] = np.array([chars.setdefault(g, len(chars)) for g in grams], dtype=np.int64)
            parts.append(np.concatenate([token_chars[t] for t in doc.stripped] or [np.zeros(0, np.int64)]))
            per_doc.append(parts)

        self.vocabulary_: dict[str, dict[str, int]] = {}
        self.offsets_: dict[str, int] = {}
        idf_parts, remaps = [], []
        offset = 0
        min_df = min(self.min_df, max(1, len(docs)))
        for b, block in enumerate(BLOCKS):
            names = np.array(list(ids[block]), dtype=object)  # provisional id order
            seen = [np.unique(parts[b]) for parts in per_doc]
            df = np.bincount(np.concatenate(seen or [np.zeros(0, np.int64)]), minlength=len(names))
            kept = np.flatnonzero(df >= min_df)
            if self.max_features is not None and len(kept) > self.max_features:
                kept = np.array(sorted(kept, key=lambda i: (-df[i], names[i]))[: self.max_features], dtype=np.int64)
            kept = kept[np.argsort(names[kept], kind="stable")] if len(kept) else kept
            remap = np.full(len(names), -1, dtype=np.int64)
            remap[kept] = offset + np.arange(len(kept))
            remaps.append(remap)
            self.vocabulary_[block] = {name: offset + i for i, name in enumerate(names[kept].tolist())}
            idf_parts.append(np.log((1 + len(docs)) / (1 + df[kept].astype(np.float64))) + 1.0)
            self.offsets_[block] = offset
            offset += len(kept)
        self.idf_ = np.concatenate(idf_parts).astype(np.float32)
        self.block_starts_ = np.array([self.offsets_[block] for block in BLOCKS])
        self.n_features_ = offset
        columns = []
        for parts in per_doc:
            found = np.concatenate([remap[part] for remap, part in zip(remaps, parts)])
            columns.append(found[found >= 0])
        return columns

    def encode(self, doc: Doc) -> Encoded:
        """Columns and token ranges of the report's in-vocabulary feature occurrences.

        The same feature strings `_fit` counts, looked up in bulk: this is the hot path of
        every scoring call.
        """
        tokens, words, stripped = doc.norm.tokens, doc.words, doc.stripped
        positions = np.arange(len(stripped))
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        names = ["_".join(tokens[a:b]) for a, b in words]
        word_starts = np.array([a for a, _ in words], dtype=np.int64)
        word_ends = np.array([b for _, b in words], dtype=np.int64)
        vocabulary = self.vocabulary_["w"]
        for n in range(1, self.word_ngrams + 1):
            grams = _ngrams(names, n)
            parts.append(_lookup(vocabulary, grams, word_starts[: len(grams)], word_ends[n - 1 :]))
        vocabulary = self.vocabulary_["s"]
        for n in range(1, self.syllable_ngrams + 1):
            grams = _ngrams(stripped, n)
            parts.append(_lookup(vocabulary, grams, positions[: len(grams)], positions[: len(grams)] + n))
        found = [self._char_columns(token) for token in stripped]
        char_starts = np.repeat(positions, [len(columns) for columns in found])
        parts.append((np.array([c for columns in found for c in columns], dtype=np.int64), char_starts, char_starts + 1))
        return Encoded(
            np.concatenate([columns for columns, _, _ in parts]),
            np.concatenate([starts for _, starts, _ in parts]),
            np.concatenate([ends for _, _, ends in parts]),
        )

    def _char_columns(self, token: str) -> list[int]:
        """In-vocabulary character n-gram columns of one token, cached per process.

        Reports reuse a few thousand syllables, so after warm-up the character block (most
        of a report's occurrences) costs one dictionary lookup per token.
        """
        cache: dict[str, list[int]] = self.__dict__.setdefault("_char_cache", {})
        found = cache.get(token)
        if found is None:
            vocabulary = self.vocabulary_["c"]
            grams = _char_grams(token, *self.char_ngrams)
            found = [column for gram in grams if (column := vocabulary.get(gram)) is not None]
            if len(cache) < CHAR_CACHE_SIZE:
                cache[token] = found
        return found

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_char_cache", None)
        return state

    def _row(self, occurrences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of the TF-IDF row of a report's occurrence columns, columns sorted.

        Blocks occupy consecutive column ranges, so one `unique` serves all three and each
        block is then L2-normalised on its own.
        """
        columns, counts = np.unique(occurrences, return_counts=True)
        values = (1.0 + np.log(counts)) * self.idf_[columns]
        block = np.searchsorted(self.block_starts_, columns, side="right") - 1
        norms = np.sqrt(np.bincount(block, weights=values * values, minlength=len(BLOCKS)))
        weights = np.asarray(self.block_weights, dtype=np.float64)
        values = values * (weights[block] / norms[block])
        return columns, values.astype(np.float32)

    def transform_encoded(self, encoded: Sequence[Encoded]) -> sp.csr_matrix:
        return self._matrix([self._row(e.columns) for e in encoded])

    def _matrix(self, rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> sp.csr_matrix:
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
