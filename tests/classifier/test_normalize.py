"""Normalisation: teencode, diacritics, placeholders, obfuscated spellings."""

from __future__ import annotations

import pytest

from classifier.normalize import EMOJI, MENTION, NUMBER, PHONE, URL, normalize, strip_diacritics


def tokens(text: str) -> tuple[str, ...]:
    return normalize(text).tokens


@pytest.mark.parametrize(
    ("short", "expected"),
    [
        ("ko bít j", ("không", "biết", "gì")),
        ("k dc đâu", ("không", "được", "đâu")),
        ("ny của mk ib", ("người", "yêu", "của", "mình", "nhắn", "tin")),
        ("bn cx vs ntn r", ("bạn", "cũng", "với", "như", "thế", "nào", "rồi")),
    ],
)
def test_teencode_expands_to_standard_words(short: str, expected: tuple[str, ...]) -> None:
    assert tokens(short) == expected


def test_case_and_tone_mark_placement_do_not_matter() -> None:
    assert tokens("HOÀ BÌNH") == tokens("hòa bình")


def test_placeholders_replace_links_phones_mentions_numbers_and_emoji() -> None:
    text = "gọi 0900 000 123 hoặc xem http://qua-tang.example/abc, @ten_gia_123 có 3 acc 😭"
    result = tokens(text)
    for placeholder in (PHONE, URL, MENTION, NUMBER, EMOJI):
        assert placeholder in result
    assert "0900" not in " ".join(result)


def test_numbers_are_kept_in_the_plain_text_for_rules() -> None:
    assert "11 tuoi" in normalize("Cháu 11 tuổi").plain


@pytest.mark.parametrize(
    ("obfuscated", "clean"),
    [
        ("g ử i ả n h", "gửi ảnh"),
        ("g.ử.i ả.n.h", "gửi ảnh"),
        ("gửi\u200b ảnh", "gửi ảnh"),
        ("gử\u200di ảnh", "gửi ảnh"),
        ("g😀ử😀i ảnh", "gửi ảnh"),
        ("gửiiii ảnhhhh", "gửi ảnh"),
        ("quáaaa", "quá"),
        ("s3x", "sex"),
        ("l0n", "lon"),
        ("sеx", "sex"),  # Cyrillic е
    ],
)
def test_obfuscated_spellings_normalise_like_the_clean_word(obfuscated: str, clean: str) -> None:
    assert tokens(obfuscated) == tokens(clean)


def test_strip_diacritics_handles_every_vietnamese_letter() -> None:
    assert strip_diacritics("Người lạ đòi gửi ẢNH, ỵ ữ Đ") == "Nguoi la doi gui ANH, y u D"


def test_no_diacritics_text_gives_the_same_stripped_tokens() -> None:
    a = normalize("Có người lạ nhắn tin đòi cháu gửi ảnh")
    b = normalize("co nguoi la nhan tin doi chau gui anh")
    assert a.stripped_tokens == b.stripped_tokens


def test_spans_point_back_into_the_source() -> None:
    result = normalize("Ko  bít, ng lạ!")
    words = [result.source[a:b] for a, b in result.spans]
    assert words == ["Ko", "bít", "ng", "lạ"]


@pytest.mark.parametrize("text", ["", "   ", "!!!", "\x00\x01", "\ud800", "😀" * 50, "a" * 100_000])
def test_never_raises(text: str) -> None:
    normalize(text)
