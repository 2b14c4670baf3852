"""Word segmentation: group normalised syllables into Vietnamese words.

Two segmenters, both underthesea's:

- `crf`: the CRF tagger behind `underthesea.word_tokenize` (context-aware, about 1 ms per
  350-character report);
- `dictionary`: greedy longest match against the dictionary that CRF was trained with,
  with and without diacritics (a tenth of a millisecond per report).

On our reports the two give the same held-out quality, so the taxonomy model uses the
dictionary; on noisy social-media text the CRF can be better, so the generic mode chooses
between them by cross-validation. See README "Model card" for the figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import joblib
from underthesea import word_tokenize

from classifier.normalize import strip_diacritics

Ranges = tuple[tuple[int, int], ...]
SEGMENTERS = ("crf", "dictionary")
MAX_WORD_SYLLABLES = 4  # covers 98% of the dictionary's entries


def _tagger() -> Any:
    """underthesea's word-segmentation CRF, loaded the way `word_tokenize` loads it."""
    from underthesea.pipeline import word_tokenize as module

    if module.word_tokenize_model is None:
        word_tokenize("khởi động")
    return module.word_tokenize_model


def _ranges(tags: Sequence[str]) -> Ranges:
    ranges: list[tuple[int, int]] = []
    for i, tag in enumerate(tags):
        if tag == "I-W" and ranges:
            ranges[-1] = (ranges[-1][0], i + 1)
        else:
            ranges.append((i, i + 1))
    return tuple(ranges)


def crf_words(tokens: Sequence[str]) -> Ranges:
    """Word ranges from underthesea's CRF tagger.

    The tokens are already clean syllables, so they go straight to the tagger that
    `word_tokenize` uses, skipping its regex tokeniser. A test checks that the result
    equals `word_tokenize` on the joined text.
    """
    if not tokens:
        return ()
    return _ranges(_tagger().predict([[token] for token in tokens]))


@lru_cache(maxsize=1)
def dictionary() -> frozenset[str]:
    """Multi-syllable entries of the dictionary shipped with underthesea's CRF model.

    Each entry also in its diacritic-free form, so a report typed without marks ("rieng tu")
    is grouped into the same words as one typed with them ("riêng tư").
    """
    from underthesea.pipeline import word_tokenize as module

    path = Path(module.__file__).parent / "models" / "ws_crf_vlsp2013_20230727" / "dictionary.bin"
    entries = {entry.lower() for entry in joblib.load(path) if 1 < len(entry.split()) <= MAX_WORD_SYLLABLES}
    return frozenset(entries | {strip_diacritics(entry) for entry in entries})


@lru_cache(maxsize=1)
def _first_pairs() -> frozenset[str]:
    """The first two syllables of every dictionary word: most syllable pairs are not one."""
    return frozenset(" ".join(entry.split()[:2]) for entry in dictionary())


def dictionary_words(tokens: Sequence[str]) -> Ranges:
    """Word ranges by greedy longest match: at each syllable take the longest dictionary word."""
    words, first_pairs = dictionary(), _first_pairs()
    ranges: list[tuple[int, int]] = []
    i, n = 0, len(tokens)
    while i < n:
        end = i + 1
        if i + 1 < n and f"{tokens[i]} {tokens[i + 1]}" in first_pairs:
            for length in range(min(MAX_WORD_SYLLABLES, n - i), 1, -1):
                if " ".join(tokens[i : i + length]) in words:
                    end = i + length
                    break
        ranges.append((i, end))
        i = end
    return tuple(ranges)


def segmenter(name: str) -> Callable[[Sequence[str]], Ranges]:
    """The segmentation function called `name` (one of `SEGMENTERS`)."""
    if name == "crf":
        return crf_words
    if name == "dictionary":
        return dictionary_words
    raise ValueError(f"unknown segmenter {name!r}; expected one of {SEGMENTERS}")
