"""Machine names from ../shared/taxonomy.md (v1): the one place the label set lives."""

from __future__ import annotations

# Order of seriousness for `primary` (most serious first), as the taxonomy lists it.
SERIOUSNESS: tuple[str, ...] = (
    "csam",
    "sextortion",
    "grooming",
    "trafficking",
    "self_harm",
    "violence",
    "cyberbullying",
    "privacy",
    "scam",
    "harmful_content",
    "none",
)
NONE = "none"
HARM_CATEGORIES: tuple[str, ...] = SERIOUSNESS[:-1]
CATEGORIES: tuple[str, ...] = SERIOUSNESS

# Ordinal, least urgent first.
URGENCY_LEVELS: tuple[str, ...] = ("low", "medium", "high", "critical")

STYLE_TAGS: frozenset[str] = frozenset(
    {
        "formal",
        "informal",
        "teencode",
        "no_diacritics",
        "mixed_diacritics",
        "long",
        "short",
        "quoted_evidence",
        "english_mix",
        "emoji",
        "structured",
        "multi_label",
        "hard_negative",
    }
)


def most_serious(categories: list[str] | tuple[str, ...] | set[str]) -> str:
    """The `primary` of a set of categories: the first of them in the seriousness order."""
    for name in SERIOUSNESS:
        if name in categories:
            return name
    return NONE


def seriousness_weight(category: str) -> float:
    """1.0 for the most serious category down to 0.0 for `none`, for queue ordering."""
    rank = SERIOUSNESS.index(category)
    return (len(SERIOUSNESS) - 1 - rank) / (len(SERIOUSNESS) - 1)
