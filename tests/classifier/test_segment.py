"""Word segmentation: the CRF shortcut equals underthesea's, the dictionary matcher is greedy-longest."""

from __future__ import annotations

import pandas as pd
import pytest
from underthesea import word_tokenize

from classifier.features import analyze
from classifier.segment import crf_words, dictionary, dictionary_words, segmenter


def _words(tokens: tuple[str, ...], ranges: tuple[tuple[int, int], ...]) -> list[str]:
    return ["_".join(tokens[a:b]) for a, b in ranges]


def test_crf_matches_underthesea_word_tokenize(samples: pd.DataFrame) -> None:
    checked = 0
    for text in samples["text"].iloc[::25]:
        tokens = analyze(text).norm.tokens
        if not tokens or any(any(c.isdigit() for c in t) for t in tokens):
            continue
        reference = [w.replace(" ", "_") for w in word_tokenize(" ".join(tokens))]
        assert _words(tokens, crf_words(tokens)) == reference
        checked += 1
    assert checked > 50


def test_dictionary_takes_the_longest_known_word_at_each_syllable() -> None:
    tokens = ("kẻ", "xâm", "hại", "trẻ", "em", "bị", "bắt", "nạt", "qwzx")
    assert _words(tokens, dictionary_words(tokens)) == ["kẻ", "xâm_hại", "trẻ_em", "bị", "bắt_nạt", "qwzx"]
    assert dictionary_words(()) == ()


def test_dictionary_groups_text_typed_without_diacritics_the_same_way() -> None:
    marked = ("đe", "dọa", "phát", "tán", "ảnh", "riêng", "tư")
    plain = ("de", "doa", "phat", "tan", "anh", "rieng", "tu")
    assert dictionary_words(marked) == dictionary_words(plain) == ((0, 2), (2, 4), (4, 5), (5, 7))


def test_dictionary_ranges_cover_every_token_once(samples: pd.DataFrame) -> None:
    for text in samples["text"].iloc[::50]:
        tokens = analyze(text).norm.tokens
        ranges = dictionary_words(tokens)
        assert [i for a, b in ranges for i in range(a, b)] == list(range(len(tokens)))
        assert all(b - a == 1 or " ".join(tokens[a:b]) in dictionary() for a, b in ranges)


def test_unknown_segmenter_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown segmenter"):
        segmenter("spaces")
