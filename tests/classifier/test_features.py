"""Feature extraction: the segmenter shortcut and the hand-rolled TF-IDF match the references."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from underthesea import word_tokenize

from classifier.features import BLOCKS, TextFeatures, analyze, segment


def test_segment_matches_underthesea_word_tokenize(samples: pd.DataFrame) -> None:
    checked = 0
    for text in samples["text"].iloc[::25]:
        tokens = analyze(text).norm.tokens
        if not tokens or any(any(c.isdigit() for c in t) for t in tokens):
            continue
        ours = ["_".join(tokens[a:b]) for a, b in segment(tokens)]
        reference = [w.replace(" ", "_") for w in word_tokenize(" ".join(tokens))]
        assert ours == reference
        checked += 1
    assert checked > 50


def test_transform_equals_sklearn_tfidf_with_the_same_vocabulary(samples: pd.DataFrame) -> None:
    docs = [analyze(t) for t in samples["text"].iloc[:300]]
    features = TextFeatures(min_df=2).fit(docs)
    ours = features.transform(docs).toarray()
    for block in BLOCKS:
        vocabulary = features.vocabulary_[block]
        offset = features.offsets_[block]
        local = {name: column - offset for name, column in vocabulary.items()}
        reference = TfidfVectorizer(analyzer=lambda d: d, vocabulary=local, sublinear_tf=True)
        lists = [[f for f, _, _ in features._occurrences(doc, block)] for doc in docs]
        expected = reference.fit(lists).transform(lists).toarray()
        np.testing.assert_allclose(ours[:, offset : offset + len(local)], expected, rtol=1e-5, atol=1e-6)


def test_encoding_keeps_token_ranges_inside_the_report() -> None:
    docs = [analyze("Có người lạ nhắn tin đòi con tôi gửi ảnh"), analyze("người lạ nhắn tin cho con")]
    features = TextFeatures(min_df=1).fit(docs)
    encoded = features.encode(docs[0])
    assert len(encoded.columns) > 0
    assert (encoded.starts >= 0).all() and (encoded.ends <= len(docs[0].norm.tokens)).all()
    assert (encoded.ends > encoded.starts).all()
    names = features.feature_names()
    assert "nhắn_tin" in set(names) and "nguoi la" in set(names)


def test_unknown_words_produce_an_empty_row() -> None:
    features = TextFeatures(min_df=1).fit([analyze("con bị bắt nạt")])
    row = features.transform([analyze("zzzz qqqq")])
    assert row.nnz == 0
