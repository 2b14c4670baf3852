"""The naive pipeline a user would write in an afternoon: the reference `bench.perf` compares against.

underthesea `word_tokenize` on the raw text, then a scikit-learn `Pipeline`: a `FeatureUnion`
of TF-IDF word n-grams (words joined with "_") and TF-IDF character n-grams, and a
`OneVsRestClassifier(LogisticRegression)` over the primary category. No normalisation, no
teencode lexicon, no calibration: what our model has to beat on both speed and quality.
It trains on the same training split of data/samples and is scored on the same held-out rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from underthesea import word_tokenize

from classifier.taxonomy import CATEGORIES


def tokenize(text: str) -> str:
    """underthesea words of the raw text, the syllables of each word joined with "_"."""
    return word_tokenize(text, format="text")


def build_pipeline() -> Pipeline:
    """Common off-the-shelf choices; C=10 because TF-IDF features want weaker regularisation."""
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, token_pattern=r"\S+")),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
        ]
    )
    classifier = OneVsRestClassifier(LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced"))
    return Pipeline([("features", features), ("classifier", classifier)])


@dataclass
class NaiveReference:
    """The fitted naive pipeline; it scores raw texts the way a user's endpoint would."""

    pipeline: Pipeline

    @classmethod
    def fit(cls, texts: Sequence[str], primaries: Sequence[str]) -> NaiveReference:
        return cls(build_pipeline().fit([tokenize(t) for t in texts], list(primaries)))

    def score_one(self, text: str) -> np.ndarray:
        """One request: tokenise, then `predict_proba` on a batch of one."""
        return self.pipeline.predict_proba([tokenize(text)])[0]

    def score_many(self, texts: Sequence[str]) -> np.ndarray:
        """A batch: tokenise every text, then one `predict_proba` on them all."""
        return self.pipeline.predict_proba([tokenize(t) for t in texts])

    def predict(self, texts: Sequence[str]) -> list[str]:
        classes = self.pipeline.classes_
        return [str(classes[i]) for i in self.score_many(texts).argmax(axis=1)]


def primary_macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over every category, as `training.evaluate` computes it for our model."""
    return float(f1_score(list(truth), list(predicted), labels=list(CATEGORIES), average="macro", zero_division=0))


def fit_on_split(frame: pd.DataFrame, held_out: np.ndarray) -> tuple[NaiveReference, float]:
    """The naive reference fitted on the training rows, and its held-out primary macro-F1."""
    train, test = frame[~held_out], frame[held_out]
    naive = NaiveReference.fit(train["text"].tolist(), train["primary"].tolist())
    return naive, primary_macro_f1(test["primary"].tolist(), naive.predict(test["text"].tolist()))
