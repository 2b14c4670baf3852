"""Explanations: token shares add up to the linear score, and only known words are shown."""

from __future__ import annotations

import numpy as np

from classifier.explain import token_contributions, top_terms
from classifier.features import TextFeatures, analyze
from classifier.model import TriageModel
from classifier.taxonomy import CATEGORIES


def _row(model: TriageModel, text: str):
    doc = analyze(text, model.segmenter)
    encoded = model.features_.encode(doc)
    M = model.features_.transform_encoded([encoded])
    return doc, encoded, M


def test_token_shares_sum_to_each_heads_linear_score(model: TriageModel) -> None:
    text = "Có người lạ nhắn tin dụ dỗ con tôi gửi ảnh, dọa phát tán nếu không chuyển tiền"
    doc, encoded, M = _row(model, text)
    heads = [CATEGORIES.index("sextortion"), CATEGORIES.index("grooming"), CATEGORIES.index("none")]
    shares = token_contributions(doc, encoded, M.indices, M.data, model._columns("coef_"), heads)
    assert shares.shape == (len(doc.norm.tokens), len(heads))
    expected = (M @ model.coef_[heads].T).ravel()
    np.testing.assert_allclose(shares.sum(axis=0), expected, rtol=1e-4, atol=1e-5)


def test_top_terms_rank_words_by_share_and_skip_unseen_ones() -> None:
    train = [analyze("kẻ lạ dụ dỗ trẻ em"), analyze("trẻ em đi học")]
    features = TextFeatures(min_df=1, char_ngrams=(2, 2)).fit(train)
    weights = np.zeros((features.n_features_, 1))
    for name, column in features.vocabulary_["w"].items():
        weights[column, 0] = {"dụ_dỗ": 2.0, "lạ": 1.0}.get(name, 0.0)
    doc = analyze("Kẻ LẠ dụ dỗ trẻ em xyzzy")
    encoded = features.encode(doc)
    M = features.transform_encoded([encoded])
    [terms] = top_terms(doc, encoded, M.indices, M.data, weights, [0], features.vocabulary_["s"], top_k=5)
    assert terms == ["dụ dỗ", "LẠ"]
