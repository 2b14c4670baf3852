"""The generated part of `data/samples/README.md`: counts that must never be typed by hand."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd

from classifier.taxonomy import SERIOUSNESS, URGENCY_LEVELS
from training.data import evaluation_split, read_table

START, END = "<!-- tables:start -->", "<!-- tables:end -->"


def _table(title: str, counts: Counter, order: list[str] | None = None, total: int | None = None) -> str:
    keys = order or sorted(counts, key=lambda k: (-counts[k], k))
    lines = [f"| {title} | reports | share |", "|---|---:|---:|"]
    total = total or sum(counts.values())
    for key in keys:
        lines.append(f"| {key} | {counts.get(key, 0)} | {counts.get(key, 0) / total:.1%} |")
    return "\n".join(lines)


def card_tables(samples: Path) -> str:
    """Markdown tables of the original (non-augmented) reports in `samples`."""
    frame = read_table([samples])
    if "augmented_from" in frame:
        frame = frame[frame["augmented_from"].isna()]
    n = len(frame)
    held_out = evaluation_split(frame)
    words = frame["text"].str.split().str.len()
    styles = Counter(s for tags in frame["style"] for s in tags)
    informal = frame["style"].apply(lambda tags: "no_diacritics" in tags or "teencode" in tags).sum()
    multi = frame["categories"].str.len().gt(1).sum()
    hard = frame["style"].apply(lambda tags: "hard_negative" in tags).sum()
    lengths = pd.cut(words, [0, 19, 60, 120, 300, 10_000], labels=["5-19", "20-60", "61-120", "121-300", ">300"])
    files = Counter(Path(f).name for f in frame["_file"])
    summary = "\n".join(
        [
            "| figure | value |",
            "|---|---:|",
            f"| original reports | {n} |",
            f"| held-out (evaluation split) | {int(held_out.sum())} ({held_out.mean():.1%}) |",
            f"| multi-label | {multi} ({multi / n:.1%}) |",
            f"| no diacritics or teencode | {informal} ({informal / n:.1%}) |",
            f"| `none`, of which hard negatives | {int((frame['primary'] == 'none').sum())}, {hard} |",
            f"| words per report: min / median / max | {words.min()} / {int(words.median())} / {words.max()} |",
        ]
    )
    return "\n\n".join(
        [
            summary,
            _table("primary", Counter(frame["primary"]), list(SERIOUSNESS)),
            _table("any category", Counter(c for cats in frame["categories"] for c in cats), list(SERIOUSNESS), n),
            _table("urgency", Counter(frame["urgency"]), list(reversed(URGENCY_LEVELS))),
            _table("style", styles, total=n),
            _table("source", Counter(frame["source"])),
            _table("file", files),
            _table("words", Counter(lengths.astype(str)), ["5-19", "20-60", "61-120", "121-300", ">300"]),
        ]
    )


def write_card(samples: Path) -> bool:
    """Refresh the tables between the markers of the data card; True when it changed."""
    readme = samples / "README.md"
    text = readme.read_text(encoding="utf-8")
    fresh = f"{START}\n{card_tables(samples)}\n{END}"
    updated = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: fresh, text, flags=re.DOTALL)
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    return updated != text


def card_is_current(samples: Path) -> bool:
    text = (samples / "README.md").read_text(encoding="utf-8")
    return f"{START}\n{card_tables(samples)}\n{END}" in text
