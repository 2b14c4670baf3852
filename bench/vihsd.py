"""ViHSD benchmark of the generic training mode: train on train.csv, evaluate on dev.csv.

Runs the same code path as `triage train --text-column free_text --label-column label_id`
and `triage evaluate`, and records the figures in bench/RESULTS.md. The dataset stays in
../shared/datasets/vihsd (research-only licence): this script reads it there and skips
with a message when it is absent.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from bench.results import machine_lines, write_section
from training.train import GENERIC_GRID, train_generic

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "vihsd"
PUBLISHED = "TextCNN 0.611, GRU 0.605, mBERT 0.627, XLM-R 0.613, PhoBERT-v2 0.666, ViSoBERT 0.677, ViHateT5 0.687 (test split)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATASET)
    args = parser.parse_args(argv)
    train, dev = args.data / "train.csv", args.data / "dev.csv"
    if not (train.is_file() and dev.is_file()):
        print(f"skipped: {args.data} not found (ViHSD is read from ../shared/datasets/vihsd only)")
        return 0
    with tempfile.TemporaryDirectory() as output:
        started = time.perf_counter()
        result = train_generic([train], output, "free_text", "label_id", eval_paths=[dev])
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    metrics = result.metrics
    lines = [
        (
            "Command: `python -m bench.vihsd` (same path as `triage train --data "
            "../shared/datasets/vihsd/train.csv --text-column free_text --label-column label_id` "
            "then `triage evaluate` on dev.csv)."
        ),
        "",
        *machine_lines(),
        "",
        "| figure | value |",
        "|---|---:|",
        f"| dev macro-F1 | **{metrics['macro_f1']:.4f}** |",
        f"| dev accuracy | {metrics['accuracy']:.4f} |",
        f"| cross-validated macro-F1 on train | {metrics['cv_macro_f1']:.4f} |",
        f"| training rows / skipped (no text) | {result.manifest['training_rows']} / {result.skipped_rows} |",
        f"| training + evaluation time | {seconds:.0f} s |",
        f"| peak memory (RSS) | {peak_mb:.0f} MB |",
        f"| chosen by cross-validation | {', '.join(f'{k}={result.params[k]}' for k in GENERIC_GRID)} |",
        f"| candidates (CV macro-F1) | {result.search} |",
        "",
        "Per class on dev: "
        + ", ".join(f"{label} F1 {row['f1']:.3f}" for label, row in metrics["per_class"].items()),
        "",
        f"Published macro-F1 for reference: {PUBLISHED}. Dev and test are different splits; the test split is held back.",
    ]
    write_section("ViHSD (generic mode)", "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
