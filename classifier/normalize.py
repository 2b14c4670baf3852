"""Turn a raw report into clean Vietnamese syllables, keeping where each came from.

Reports arrive in every spelling: teencode, no diacritics, look-alike letters, spaced or
leet-spelt words, emoji, links and phone numbers. The model must see the same tokens for
the same words however they were typed, and the explanation must still point back to the
reporter's own words, so every normalised token keeps the span of text it came from.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from underthesea.pipeline.text_normalize import token_normalize

URL, EMAIL, PHONE, MENTION, NUMBER, EMOJI = (
    "xxurl",
    "xxemail",
    "xxphone",
    "xxmention",
    "xxnum",
    "xxemoji",
)
PLACEHOLDERS = frozenset({URL, EMAIL, PHONE, MENTION, NUMBER, EMOJI})

_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x034F, 0x061C, 0x180E, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFE0E, 0xFE0F, 0xFEFF]
    + list(range(0x200B, 0x2010))
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A)),
    None,
)
# Cyrillic and Greek letters that look like Latin ones ("sех" with Cyrillic е and х).
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁӏАЕОРСУХІЈЅΑΒΕΗΙΚΜΝΟΡΤΥΧαεικνορτυχÐ",
    "aeopcyxijsdlAEOPCYXIJSABEHIKMNOPTYXaeikvoptuxĐ",
)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})

_URL_RE = r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|vn|net|org|ly|me|io|info|xyz|example|invalid|top|site|link|cc|co|tv|gg)(?:/\S*)?"
_EMAIL_RE = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_PHONE_RE = r"(?<![\w])(?:\+?84|0)(?:[\s.\-]?[\dxX*]){8,10}(?![\w])"
_MENTION_RE = r"@[\w.]+"
_SPECIAL = re.compile(
    f"(?P<url>{_URL_RE})|(?P<email>{_EMAIL_RE})|(?P<phone>{_PHONE_RE})|(?P<mention>{_MENTION_RE})",
    re.IGNORECASE,
)
# A word: letters, digits and the leet/look-alike symbols that can sit inside one.
_WORD = re.compile(r"[^\W_]+(?:[@$][^\W_]+)*|[@$](?=[^\W_])[^\W_]+")
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U00002b00-\U00002bff\U0001f1e6-\U0001f1ff]"
)
# Letters separated by single dots, dashes or stars: "g.ử.i", "s-e-x", "n*u*d*e".
_SPLIT_LETTERS = re.compile(r"(?<![^\W_])(?:[^\W\d_][.\-*_]){2,}[^\W\d_](?![^\W_])")
_EMOJI_INSIDE = re.compile(rf"(?<=[^\W_]){_EMOJI.pattern}+(?=[^\W_])")

_VOWELS = "aăâeêioôơuưy"
_TONED = "áàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
# A Vietnamese syllable (at most one toned vowel), used only to re-split letters typed apart.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    rf"[{_VOWELS}]{{0,2}}[{_TONED}]?[{_VOWELS}]{{0,2}}"
    rf"(?:ng|nh|ch|[cmnpt](?![{_VOWELS}{_TONED}]))?"
)


def _build_strip_table() -> dict[int, str]:
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "D"}
    for code in range(0x00C0, 0x1EFF + 1):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            table[code] = base
    return table


_STRIP = _build_strip_table()


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese tone and vowel marks ("người lạ" -> "nguoi la")."""
    return text.translate(_STRIP)


_stripped = lru_cache(maxsize=100_000)(strip_diacritics)  # per token: syllables repeat


@lru_cache(maxsize=1)
def teencode_lexicon() -> dict[str, str]:
    """The teencode and abbreviation lexicon shipped in `resources/teencode.tsv`."""
    text = (Path(__file__).parent / "resources" / "teencode.tsv").read_text("utf-8")
    lexicon: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            short, expansion = line.split("\t")
            lexicon[short] = expansion
    return lexicon


@dataclass(frozen=True, slots=True)
class Normalized:
    """A report after normalisation.

    `tokens` are lower-case syllables with diacritics and placeholders; `spans[i]` is the
    (start, end) of `source` that token i came from; `plain` is the diacritic-free text
    with numbers kept, for rule signals that need ages and times.
    """

    source: str
    tokens: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    plain: str

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    @property
    def stripped_tokens(self) -> tuple[str, ...]:
        return tuple(_stripped(token) for token in self.tokens)


def clean(text: str) -> str:
    """Unicode-level clean-up that keeps the text readable: NFKC, no invisibles, Latin look-alikes."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_LOOKALIKES)
    if not text.replace("\n", "").replace("\t", "").isprintable():
        text = "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)
    text = _EMOJI_INSIDE.sub("", text)
    return _SPLIT_LETTERS.sub(lambda m: re.sub(r"[.\-*_]", "", m.group()), text)


_U_HORN = frozenset("ưứừửữự")  # "ưu" is a real rhyme (cứu, lưu), not an elongated "ư"
_RUN3 = re.compile(r"(\w)\1{2,}")


def _fold_elongation(word: str) -> str:
    """'quáaaa' -> 'quá', 'khônggg' -> 'không', 'ơii' -> 'ơi'; 'free', 'xoong', 'cứu' stay."""
    word = _RUN3.sub(r"\1", word)
    out: list[str] = []
    for char in word:
        previous = out[-1] if out else ""
        if (
            char in _VOWELS
            and previous not in _VOWELS
            and strip_diacritics(previous) == char
            and not (char == "u" and previous in _U_HORN)
        ):
            continue
        out.append(char)
    if len(out) > 2 and out[-1] == out[-2] and out[-1] not in "eolfst":
        out.pop()
    return "".join(out)


def _split_syllables(letters: str) -> list[str]:
    """Re-split letters typed apart ("gửiảnh") into syllables ("gửi", "ảnh")."""
    parts = [part for part in _SYLLABLE.findall(letters) if part]
    return parts if "".join(parts) == letters else [letters]


@lru_cache(maxsize=100_000)
def _word_tokens(word: str) -> tuple[str, ...]:
    """Normalise one lower-case word into syllables (cached: reports reuse a few thousand words)."""
    if word.isdigit():
        return (NUMBER,)
    word = _fold_elongation(word)
    if any(c.isdigit() or c in "@$" for c in word):
        letters = sum(c.isalpha() for c in word)
        if letters >= 2:
            word = word.translate(_LEET)
        else:
            lexical = teencode_lexicon().get(word)
            return tuple(lexical.split()) if lexical else (NUMBER if word[0].isdigit() else word,)
    lexical = teencode_lexicon().get(word)
    if lexical:
        return tuple(lexical.split())
    return (token_normalize(word),)


def _merge_spaced_letters(words: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Join runs of three or more single letters ("g ử i ả n h") back into syllables."""
    merged: list[tuple[str, int, int]] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and len(words[j][0]) == 1 and words[j][0].isalpha():
            j += 1
        if j - i >= 3:
            letters = "".join(w for w, _, _ in words[i:j])
            start, end = words[i][1], words[j - 1][2]
            merged.extend((syllable, start, end) for syllable in _split_syllables(letters))
            i = j
        else:
            merged.append(words[i])
            i += 1
    return merged


def normalize(text: str) -> Normalized:
    """Normalise a report; never raises on any string."""
    source = clean(text)
    lowered = source.lower()
    pieces: list[tuple[str, int, int]] = []
    position = 0
    for match in _SPECIAL.finditer(lowered):
        pieces.extend(_plain_words(lowered, position, match.start()))
        pieces.append((_placeholder(match), match.start(), match.end()))
        position = match.end()
    pieces.extend(_plain_words(lowered, position, len(lowered)))
    pieces = _merge_spaced_letters(pieces)

    tokens: list[str] = []
    spans: list[tuple[int, int]] = []
    plain: list[str] = []
    for word, start, end in pieces:
        if word in PLACEHOLDERS:
            produced: tuple[str, ...] = (word,)
        else:
            produced = _word_tokens(word)
        for token in produced:
            tokens.append(token)
            spans.append((start, end))
            plain.append(strip_diacritics(word) if token == NUMBER else _stripped(token))
    return Normalized(source, tuple(tokens), tuple(spans), " ".join(plain))


def _placeholder(match: re.Match[str]) -> str:
    return {"url": URL, "email": EMAIL, "phone": PHONE, "mention": MENTION}[match.lastgroup or "url"]


def _plain_words(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    """Words and emoji of text[start:end] with their spans, punctuation dropped."""
    out: list[tuple[str, int, int]] = []
    segment = text[start:end]
    items = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(segment)]
    items += [(m.start(), m.end(), EMOJI) for m in _EMOJI.finditer(segment)]
    for s, e, value in sorted(items):
        out.append((value, start + s, start + e))
    return out
