"""The generic mode's own feature block: character n-grams over the text with diacritics."""

from __future__ import annotations

import pandas as pd
from sklearn.base import clone

from classifier.generic import TextClassifier


def _fit(frame: pd.DataFrame, **params: object) -> TextClassifier:
    return TextClassifier(cv=3, **params).fit(frame["text"].tolist(), frame["primary"].tolist())


def test_accent_block_is_a_cloneable_param_recorded_in_the_manifest() -> None:
    model = TextClassifier(accent_char_ngrams=(2, 3))
    assert clone(model).get_params()["accent_char_ngrams"] == (2, 3)
    assert TextClassifier().get_params()["accent_char_ngrams"] == (1, 4)


def test_accent_block_keeps_diacritics_and_crosses_word_boundaries(small_training_set: pd.DataFrame) -> None:
    model = _fit(small_training_set)
    vocabulary = model.accent_chars_.vocabulary_
    assert "trẻ" in vocabulary  # marks kept, unlike the shared `c` block
    assert "ẻ e" in vocabulary  # "trẻ em": one n-gram over two words
    assert model.coef_.shape[1] == model.features_.n_features_ + len(vocabulary)
    assert model.manifest_fields()["params"]["accent_char_ngrams"] == (1, 4)


def test_without_accent_block_only_the_shared_features_are_used(small_training_set: pd.DataFrame) -> None:
    model = _fit(small_training_set, accent_char_ngrams=None)
    assert model.accent_chars_ is None
    assert model.coef_.shape[1] == model.features_.n_features_
    probs = model.predict_proba(small_training_set["text"].head(5).tolist())
    assert probs.shape == (5, len(model.classes_))
