"""`python -m training.notebooks --out reports`: run the reviewer notebooks and write HTML reports.

Both notebooks in `notebooks/` run with papermill on one model, one labelled file and one audit
log, then become HTML without their code, since reviewers read the pictures, not the cells.
With no audit database, the audit notebook reads the held-out split scored by the model, with
the split's labels standing in for reviewer feedback, so the report still shows every section.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import papermill
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter
from sqlalchemy.engine import make_url
from traitlets import default

from classifier.artifacts import ArtifactError, load_model
from classifier.settings import Settings
from training.data import REQUIRED, DataError, evaluation_split, load_reports

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
AUDIT = "01_audit_predictions.ipynb"
MODEL_REPORT = "02_model_report.ipynb"


class ThisPythonKernelManager(AsyncKernelManager):
    """Starts the `python3` kernel with this interpreter, from ipykernel's own kernelspec.

    A user-wide `python3` kernelspec (in ~/.local/share/jupyter) would otherwise win over the
    virtual environment's and could start a Python without this project installed.
    """

    @default("kernel_spec_manager")
    def _kernel_spec_manager_default(self) -> KernelSpecManager:
        return KernelSpecManager(kernel_dirs=[], parent=self)


def run_notebook(name: str, parameters: dict[str, Any], output_dir: Path, cwd: Path | None = None) -> Path:
    """Execute `notebooks/<name>` with `parameters` into `output_dir/<name>`; returns that path."""
    output = output_dir / name
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / name),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(cwd or Path.cwd()),
        progress_bar=False,
        kernel_manager_class=ThisPythonKernelManager,
    )
    return output


def write_html(notebook: Path, output: Path) -> Path:
    """The executed notebook as a self-contained HTML page of its outputs and text, no code."""
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_filename(str(notebook))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(body, encoding="utf-8")
    return output


def score_held_out(model_dir: Path, data_path: Path, output_dir: Path) -> tuple[Path, Path]:
    """Score the held-out split like `triage score` would and write its labels beside it.

    Returns (scored JSONL, labels JSONL) for the audit notebook's `scored_path` and `labels_path`.
    """
    model, _ = load_model(model_dir)
    frame = load_reports([str(data_path)])
    frame = frame[evaluation_split(frame).to_numpy()]
    records = model.score_reports(frame["text"].tolist(), frame["id"].astype(str).tolist())
    scored = output_dir / "held_out.scored.jsonl"
    labels = output_dir / "held_out.labels.jsonl"
    output_dir.mkdir(parents=True, exist_ok=True)
    scored.write_text("".join(_line(record) for record in records), encoding="utf-8")
    labels.write_text(
        "".join(_line({key: row[key] for key in REQUIRED}) for row in frame.to_dict("records")),
        encoding="utf-8",
    )
    return scored, labels


def _line(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False) + "\n"


def default_database(settings: Settings) -> str | None:
    """The configured audit database, or None when it is a SQLite file that does not exist yet."""
    url = settings.resolved_database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return None
    return url


def build_reports(
    out: Path,
    model_dir: Path,
    data_path: Path,
    split: str = "held-out",
    database_url: str | None = None,
    scored_path: Path | None = None,
    labels_path: Path | None = None,
) -> list[Path]:
    """Run both notebooks and write `out/<notebook>.html`; returns the HTML paths.

    The audit notebook reads `database_url`, else `scored_path` (with `labels_path`), else the
    held-out split of `data_path` scored here. Corrections are exported to
    `out/corrections.jsonl` only from a database: labels are not reviewer corrections.
    """
    out.mkdir(parents=True, exist_ok=True)
    if not database_url and scored_path is None:
        scored_path, labels_path = score_held_out(model_dir, data_path, out)
    audit_parameters = {
        "database_url": database_url or "",
        "scored_path": str(scored_path.resolve()) if scored_path else "",
        "labels_path": str(labels_path.resolve()) if labels_path else "",
        "export_path": str((out / "corrections.jsonl").resolve()) if database_url else "",
    }
    report_parameters = {
        "model_dir": str(model_dir.resolve()),
        "data_path": str(data_path.resolve()),
        "split": split,
    }
    pages = []
    with tempfile.TemporaryDirectory() as work:
        for name, parameters in ((AUDIT, audit_parameters), (MODEL_REPORT, report_parameters)):
            executed = run_notebook(name, parameters, Path(work))
            pages.append(write_html(executed, out / Path(name).with_suffix(".html").name))
    return pages


def main(argv: Sequence[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m training.notebooks", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports"), help="folder for the HTML reports")
    parser.add_argument("--model", type=Path, default=settings.model_dir, help="model directory")
    parser.add_argument("--data", type=Path, default=settings.samples_dir, help="labelled file or folder")
    parser.add_argument("--split", choices=("held-out", "all"), default="held-out",
                        help="held-out: the fixed evaluation split (default); all: every row")
    parser.add_argument("--database-url", help="audit store (default: TRIAGE_DATABASE_URL or var/triage.db if present)")
    parser.add_argument("--scored", type=Path, help="scored JSONL from `triage score`, instead of a database")
    parser.add_argument("--labels", type=Path, help="labelled JSONL standing in for reviewer feedback on --scored")
    args = parser.parse_args(argv)
    if not (args.model / "manifest.json").is_file():
        print(f"no model at {args.model}: build it with `make model`", file=sys.stderr)
        return 2
    database_url = args.database_url or (None if args.scored else default_database(settings))
    try:
        pages = build_reports(args.out, args.model, args.data, args.split, database_url, args.scored, args.labels)
    except (ArtifactError, DataError, FileNotFoundError, papermill.PapermillExecutionError) as error:
        print(f"cannot build the reports: {error}", file=sys.stderr)
        return 1
    for page in pages:
        print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
