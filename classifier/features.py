"""Text -> sparse TF-IDF features, computed once per report and shared by every model head.

Three blocks, each L2-normalised on its own so none drowns the others:

- `w`: underthesea words (with diacritics), uni- and bigrams: "người_lạ", "dụ_dỗ cháu";
- `s`: diacritic-free syllable 1..3-grams, so "nguoi la" typed without marks matches "người lạ";
- `c`: diacritic-free character n-grams inside each token, for typos, teencode and leet left overs.

Every feature occurrence keeps the token range it came from, which is how explanations point
back at the reporter's own words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from underthesea import word_tokenize

from classifier.normalize import Normalized, normalize

BLOCKS = ("w", "s", "c")


@dataclass(frozen=True, slots=True)
class Doc:
    """A normalised, word-segmented report: the only input the feature blocks see."""

    norm: Normalized
    words: tuple[tuple[int, int], ...]  # token ranges [start, end) of underthesea words

    @property
    def stripped(self) -> tuple[str, ...]:
        return self.norm.stripped_tokens


def segment(tokens: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """Group normalised syllables into words with underthesea's word segmenter."""
    if not tokens:
        return ()
    words = word_tokenize(" ".join(tokens))
    ranges: list[tuple[int, int]] = []
    position = 0
    for word in words:
        size = len(word.split())
        if tuple(word.split()) != tuple(tokens[position : position + size]):
            return tuple((i, i + 1) for i in range(len(tokens)))
        ranges.append((position, position + size))
        position += size
    if position != len(tokens):
        return tuple((i, i + 1) for i in range(len(tokens)))
    return tuple(ranges)


def analyze(text: str) -> Doc:
    """Normalise and segment one report: the expensive step, done once per report."""
    norm = normalize(text)
    return Doc(norm, segment(norm.tokens))


def occurrences(
    doc: Doc, block: str, word_n: int, syllable_n: int, char_n: tuple[int, int]
) -> list[tuple[str, int, int]]:
    """Every feature string of one block in `doc`, with the token range it covers."""
    out: list[tuple[str, int, int]] = []
    if block == "w":
        tokens = doc.norm.tokens
        names = ["_".join(tokens[a:b]) for a, b in doc.words]
        for n in range(1, word_n + 1):
            for i in range(len(names) - n + 1):
                out.append((" ".join(names[i : i + n]), doc.words[i][0], doc.words[i + n - 1][1]))
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


def _identity(features: list[str]) -> list[str]:
    return features


class TextFeatures(BaseEstimator, TransformerMixin):
    """TF-IDF over the three blocks; `fit`/`transform` take `Doc`s from `analyze`."""

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

    def _block_lists(self, docs: Iterable[Doc], block: str) -> list[list[str]]:
        return [[f for f, _, _ in self._occurrences(doc, block)] for doc in docs]

    def _occurrences(self, doc: Doc, block: str) -> list[tuple[str, int, int]]:
        return occurrences(doc, block, self.word_ngrams, self.syllable_ngrams, tuple(self.char_ngrams))

    def fit(self, docs: Sequence[Doc], y: object = None) -> TextFeatures:
        self.vectorizers_: dict[str, TfidfVectorizer] = {}
        for block in BLOCKS:
            vectorizer = TfidfVectorizer(
                analyzer=_identity,
                sublinear_tf=True,
                min_df=min(self.min_df, max(1, len(docs))),
                max_features=self.max_features,
                dtype=np.float32,
            )
            vectorizer.fit(self._block_lists(docs, block))
            self.vectorizers_[block] = vectorizer
        self._index_offsets()
        return self

    def _index_offsets(self) -> None:
        self.offsets_: dict[str, int] = {}
        total = 0
        for block in BLOCKS:
            self.offsets_[block] = total
            total += len(self.vectorizers_[block].vocabulary_)
        self.n_features_ = total

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        blocks = [
            self.vectorizers_[block].transform(self._block_lists(docs, block)) * weight
            for block, weight in zip(BLOCKS, self.block_weights)
        ]
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def feature_occurrences(self, doc: Doc) -> list[tuple[int, int, int]]:
        """(column, token_start, token_end) for every in-vocabulary feature occurrence of `doc`."""
        found: list[tuple[int, int, int]] = []
        for block in BLOCKS:
            vocabulary = self.vectorizers_[block].vocabulary_
            offset = self.offsets_[block]
            for name, start, end in self._occurrences(doc, block):
                column = vocabulary.get(name)
                if column is not None:
                    found.append((offset + column, start, end))
        return found

    def known_syllable_share(self, doc: Doc) -> float:
        """Share of the report's syllables the model saw in training (low: not Vietnamese or gibberish)."""
        tokens = doc.stripped
        if not tokens:
            return 0.0
        vocabulary = self.vectorizers_["s"].vocabulary_
        return sum(token in vocabulary for token in tokens) / len(tokens)

    def feature_names(self) -> np.ndarray:
        return np.concatenate(
            [self.vectorizers_[block].get_feature_names_out() for block in BLOCKS]
        )

