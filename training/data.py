"""Reading labelled data, checking it against the taxonomy, and the fixed evaluation split."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer

from classifier.taxonomy import CATEGORIES, NONE, STYLE_TAGS, URGENCY_LEVELS, most_serious

SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
REQUIRED = ("id", "text", "categories", "primary", "urgency", "style", "source")
NEAR_DUPLICATE = 0.8
TEST_SHARE = 0.2


class DataError(ValueError):
    """A data file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def data_files(paths: Iterable[str | Path]) -> list[Path]:
    """Data files named directly or found (non-recursively sorted) under folders."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
        elif path.is_file():
            if path.suffix not in SUFFIXES:
                raise DataError(f"{path}: unsupported file type (use {', '.join(SUFFIXES)})")
            found.append(path)
        else:
            raise DataError(f"{path}: no such file or folder")
    if not found:
        raise DataError(f"no data files ({', '.join(SUFFIXES)}) in {', '.join(map(str, paths))}")
    return found


def read_jsonl(path: Path) -> tuple[list[dict], list[Problem]]:
    """Rows of a JSON Lines file with `_file`/`_line`; unreadable lines become problems."""
    rows: list[dict] = []
    problems: list[Problem] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(Problem(str(path), number, f"not valid JSON ({error.msg})"))
                continue
            if not isinstance(row, dict):
                problems.append(Problem(str(path), number, "a line must be a JSON object"))
                continue
            rows.append({**row, "_file": str(path), "_line": number})
    return rows, problems


def read_table(paths: Iterable[str | Path]) -> pd.DataFrame:
    """All rows of the given files/folders in one frame, with `_file` and `_line` columns."""
    frames = []
    for path in data_files(paths):
        if path.suffix in (".jsonl", ".json"):
            rows, problems = read_jsonl(path)
            if problems:
                raise DataError("\n".join(map(str, problems)))
            frame = pd.DataFrame(rows)
        else:
            try:
                frame = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
            except Exception as error:  # pandas raises many types for a bad file
                raise DataError(f"{path}: cannot read ({error})") from error
            frame["_file"] = str(path)
            frame["_line"] = np.arange(len(frame)) + (2 if path.suffix == ".csv" else 1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def check_rows(rows: list[dict]) -> list[Problem]:
    """Schema and label problems of report rows (each row has `_file` and `_line`)."""
    problems: list[Problem] = []
    seen_ids: dict[str, str] = {}
    for row in rows:
        add = partial(_report, problems, row["_file"], row["_line"])

        missing = [key for key in REQUIRED if key not in row]
        if missing:
            add(f"missing field(s): {', '.join(missing)}")
            continue
        extra = sorted(set(row) - set(REQUIRED) - {"augmented_from", "_file", "_line"})
        if extra:
            add(f"unknown field(s): {', '.join(extra)}")
        if not isinstance(row["id"], str) or not row["id"]:
            add("`id` must be a non-empty string")
        elif row["id"] in seen_ids:
            add(f"duplicate id {row['id']!r} (first at {seen_ids[row['id']]})")
        else:
            seen_ids[row["id"]] = f"{row['_file']}:{row['_line']}"
        if not isinstance(row["text"], str) or not row["text"].strip():
            add("`text` must be a non-empty string")
        categories = row["categories"]
        if not isinstance(categories, list) or not categories:
            add("`categories` must be a non-empty list")
            continue
        unknown = [c for c in categories if c not in CATEGORIES]
        if unknown:
            add(f"unknown category {', '.join(map(str, unknown))} (see taxonomy.md)")
            continue
        if len(set(categories)) != len(categories):
            add("`categories` lists a category twice")
        if NONE in categories and len(categories) > 1:
            add("`none` must be the only category when present")
        if row["primary"] not in CATEGORIES:
            add(f"unknown primary {row['primary']!r}")
        elif row["primary"] not in categories:
            add(f"primary {row['primary']!r} is not in categories")
        elif row["primary"] != most_serious(categories):
            add(f"primary should be {most_serious(categories)!r}, the most serious of the categories")
        if row["urgency"] not in URGENCY_LEVELS:
            add(f"unknown urgency {row['urgency']!r} (one of {', '.join(URGENCY_LEVELS)})")
        elif categories == [NONE] and row["urgency"] != "low":
            add("a `none` report must have urgency `low`")
        if not isinstance(row["style"], list) or any(s not in STYLE_TAGS for s in row["style"]):
            add(f"`style` must be a list of tags from: {', '.join(sorted(STYLE_TAGS))}")
        if not isinstance(row["source"], str) or not row["source"]:
            add("`source` must be a non-empty string")
    return problems


def _report(problems: list[Problem], file: str, line: int, message: str) -> None:
    problems.append(Problem(file, line, message))


def near_duplicate_pairs(texts: list[str], threshold: float = NEAR_DUPLICATE) -> list[tuple[int, int, float]]:
    """Pairs (i, j, jaccard) with character 5-gram Jaccard similarity >= threshold, i < j."""
    if len(texts) < 2:
        return []
    vectorizer = CountVectorizer(analyzer="char", ngram_range=(5, 5), binary=True, lowercase=True)
    X = vectorizer.fit_transform([" ".join(t.split()) for t in texts]).astype(np.float32).tocsr()
    sizes = np.asarray(X.sum(axis=1)).ravel()
    pairs = []
    for start in range(0, X.shape[0], 512):
        inter = (X[start : start + 512] @ X.T).toarray()
        union = sizes[start : start + 512, None] + sizes[None, :] - inter
        jaccard = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        for a, b in zip(*np.nonzero(jaccard >= threshold)):
            i = start + int(a)
            if int(b) > i:
                pairs.append((i, int(b), float(jaccard[a, b])))
    return pairs


def check_paths(paths: Iterable[str | Path]) -> list[Problem]:
    """Every problem in the report files: unreadable lines, schema, labels, duplicates."""
    rows: list[dict] = []
    problems: list[Problem] = []
    for path in data_files(paths):
        if path.suffix != ".jsonl":
            problems.append(Problem(str(path), 0, "sample data must be JSON Lines (.jsonl)"))
            continue
        file_rows, file_problems = read_jsonl(path)
        rows.extend(file_rows)
        problems.extend(file_problems)
    problems.extend(check_rows(rows))
    texts = [r["text"] if isinstance(r.get("text"), str) else "" for r in rows]
    for i, j, similarity in near_duplicate_pairs(texts):
        a, b = rows[i], rows[j]
        if a.get("augmented_from") == b.get("id") or b.get("augmented_from") == a.get("id"):
            continue
        kind = "exact duplicate" if texts[i].strip() == texts[j].strip() else "near duplicate"
        problems.append(
            Problem(b["_file"], b["_line"], f"{kind} of {a['_file']}:{a['_line']} (Jaccard {similarity:.2f})")
        )
    return sorted(problems, key=lambda p: (p.file, p.line))


def load_reports(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Taxonomy-labelled reports, refusing data that fails `check_paths`."""
    paths = list(paths)
    problems = check_paths(paths)
    if problems:
        shown = "\n".join(map(str, problems[:20]))
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise DataError(f"{len(problems)} problem(s) in the data:\n{shown}{more}")
    return read_table(paths)


def split_groups(frame: pd.DataFrame, threshold: float = 0.5) -> pd.Series:
    """A group key per row: augmented variants and similar texts share their source's key."""
    ids = frame["id"].tolist()
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    if "augmented_from" in frame:
        for row_id, source in zip(ids, frame["augmented_from"]):
            if isinstance(source, str) and source in parent:
                union(row_id, source)
    for i, j, _ in near_duplicate_pairs(frame["text"].tolist(), threshold):
        union(ids[i], ids[j])
    return pd.Series([find(i) for i in ids], index=frame.index)


def evaluation_split(frame: pd.DataFrame, test_share: float = TEST_SHARE) -> pd.Series:
    """True for held-out rows: about `test_share` of the groups of each primary category.

    Groups are ordered by a hash of their key inside each stratum, so the split needs no
    random state, does not change between library versions, and adding reports moves few rows.
    """
    groups = split_groups(frame)
    group_primary = frame.groupby(groups)["primary"].first()
    held_out: set[str] = set()
    for _, keys in group_primary.groupby(group_primary):
        ranked = sorted(keys.index, key=lambda key: hashlib.sha256(key.encode()).hexdigest())
        held_out.update(ranked[: round(len(ranked) * test_share)])
    return groups.isin(held_out)


def file_sha256(paths: Iterable[str | Path]) -> str:
    """One hash over the bytes of all data files, recorded in the model manifest."""
    digest = hashlib.sha256()
    for path in data_files(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
