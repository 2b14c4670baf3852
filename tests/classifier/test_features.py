"""Feature extraction: the fast encoding and the hand-rolled TF-IDF match their references."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.features import BLOCKS, Doc, TextFeatures, analyze, resegment


def reference_occurrences(doc: Doc, features: TextFeatures, block: str) -> list[tuple[str, int, int]]:
    """The feature definition written plainly: every n-gram string of a block and its token range."""
    out: list[tuple[str, int, int]] = []
    if block == "w":
        names = ["_".join(doc.norm.tokens[a:b]) for a, b in doc.words]
        for n in range(1, features.word_ngrams + 1):
            for i in range(len(names) - n + 1):
                out.append((" ".join(names[i : i + n]), doc.words[i][0], doc.words[i + n - 1][1]))
    elif block == "s":
        for n in range(1, features.syllable_ngrams + 1):
            for i in range(len(doc.stripped) - n + 1):
                out.append((" ".join(doc.stripped[i : i + n]), i, i + n))
    else:
        low, high = features.char_ngrams
        for i, token in enumerate(doc.stripped):
            padded = f" {token} "
            for n in range(low, min(high, len(padded)) + 1):
                for j in range(len(padded) - n + 1):
                    out.append((padded[j : j + n], i, i + 1))
    return out


def test_transform_equals_sklearn_tfidf_with_the_same_vocabulary(samples: pd.DataFrame) -> None:
    docs = [analyze(t) for t in samples["text"].iloc[:300]]
    features = TextFeatures(min_df=2).fit(docs)
    ours = features.transform(docs).toarray()
    for block in BLOCKS:
        vocabulary = features.vocabulary_[block]
        offset = features.offsets_[block]
        local = {name: column - offset for name, column in vocabulary.items()}
        reference = TfidfVectorizer(analyzer=lambda d: d, vocabulary=local, sublinear_tf=True)
        lists = [[f for f, _, _ in reference_occurrences(doc, features, block)] for doc in docs]
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


def test_encode_finds_exactly_the_in_vocabulary_occurrences(samples: pd.DataFrame) -> None:
    docs = [analyze(t) for t in samples["text"].iloc[::40]]
    features = TextFeatures(min_df=2).fit(docs)
    for doc in docs + [analyze("zzzz qqqq"), analyze("")]:
        encoded = features.encode(doc)
        ours = sorted(zip(encoded.columns.tolist(), encoded.starts.tolist(), encoded.ends.tolist()))
        expected = []
        for block in BLOCKS:
            vocabulary = features.vocabulary_[block]
            expected += [(vocabulary[name], a, z) for name, a, z in reference_occurrences(doc, features, block) if name in vocabulary]
        assert ours == sorted(expected)


def test_resegment_keeps_the_normalisation_and_changes_only_the_words() -> None:
    doc = analyze("Có người lạ nhắn tin cho con tôi", segmenter="dictionary")
    again = resegment(doc, "crf")
    assert again.norm is doc.norm and again.stripped == doc.stripped
    assert again.segmenter == "crf" and resegment(again, "crf") is again


def test_fit_learns_the_vocabulary_and_idf_of_the_reference_definition(samples: pd.DataFrame) -> None:
    """The one-pass fit keeps exactly the n-grams with df >= min_df (top max_features by df)."""
    docs = [analyze(t) for t in samples["text"].iloc[:200]]
    features = TextFeatures(min_df=2, max_features=3000)
    matrix = features.fit_transform(docs)
    for block in BLOCKS:
        df = Counter(name for doc in docs for name in {n for n, _, _ in reference_occurrences(doc, features, block)})
        kept = sorted((name for name, count in df.items() if count >= 2), key=lambda n: (-df[n], n))[:3000]
        assert set(features.vocabulary_[block]) == set(kept)
        columns = [features.vocabulary_[block][name] for name in kept]
        expected_idf = [np.log(201 / (1 + df[name])) + 1 for name in kept]
        np.testing.assert_allclose(features.idf_[columns], expected_idf, rtol=1e-6)
    assert (matrix != features.transform(docs)).nnz == 0
