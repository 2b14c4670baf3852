"""`triage`: train, evaluate, score, check data, serve and export feedback from one command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm.auto import tqdm

from classifier.artifacts import ArtifactError, load_model
from classifier.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
data_app = typer.Typer(no_args_is_help=True, help="Check and describe labelled data.")
app.add_typer(data_app, name="data")

ModelOption = Annotated[Path | None, typer.Option("--model", help="Model directory (default: TRIAGE_MODEL_DIR, models/default).")]
BATCH = 8192  # reports per scoring call: big enough to spread over worker processes


def _fail(message: str, code: int = 2) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _load(model_dir: Path | None) -> tuple[Any, dict]:
    directory = model_dir or Settings().model_dir
    if not (directory / "manifest.json").exists():
        _fail(f"no model at {directory}: build the default one with `make model` (or `triage train --output {directory}`)")
    try:
        return load_model(directory)
    except ArtifactError as error:
        _fail(f"cannot load model: {error}")
    raise AssertionError("unreachable")


@app.command()
def train(
    data: Annotated[list[Path] | None, typer.Option("--data", help="Files or folders (JSONL, CSV, Parquet). Default: data/samples.")] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Model directory to write (default: models/default).")] = None,
    text_column: Annotated[str | None, typer.Option(help="Generic mode: the text column.")] = None,
    label_column: Annotated[str | None, typer.Option(help="Generic mode: the label column.")] = None,
    eval_data: Annotated[list[Path] | None, typer.Option("--eval-data", help="Generic mode: held-out files (default: a 20% split).")] = None,
    promote: Annotated[bool, typer.Option(help="Make this version the registry's champion even if it is worse.")] = False,
    mlflow: Annotated[bool, typer.Option("--mlflow/--no-mlflow", help="Log the run to MLflow.")] = True,
    registered_name: Annotated[str | None, typer.Option(help="Registered model name in MLflow.")] = None,
    jobs: Annotated[int, typer.Option(help="Parallel jobs.")] = 2,
) -> None:
    """Train a model: taxonomy mode on report files, or generic mode with --text-column/--label-column."""
    from training.data import DataError
    from training.train import summary_lines, train_generic, train_taxonomy

    settings = Settings()
    paths = [str(p) for p in (data or [settings.samples_dir])]
    output = output or settings.model_dir
    if (text_column is None) != (label_column is None):
        _fail("generic mode needs both --text-column and --label-column")
    try:
        if text_column and label_column:
            result = train_generic(paths, output, text_column, label_column, eval_paths=eval_data, n_jobs=jobs)
        else:
            result = train_taxonomy(paths, output, n_jobs=jobs)
    except DataError as error:
        _fail(str(error))
    for line in summary_lines(result):
        typer.echo(line)
    if mlflow:
        from training.tracking import log_run

        logged = log_run(result, Path(output), paths, registered_name, promote, settings)
        state = "now champion" if logged["champion"] else "champion unchanged (held-out macro-F1 lower)"
        typer.echo(f"MLflow: {logged['registered_model']} version {logged['version']}, {state}")


@app.command()
def evaluate(
    data: Annotated[list[Path], typer.Option("--data", help="Labelled files or folders.")],
    model: ModelOption = None,
    text_column: Annotated[str | None, typer.Option(help="Generic mode: the text column.")] = None,
    label_column: Annotated[str | None, typer.Option(help="Generic mode: the label column.")] = None,
    split: Annotated[str, typer.Option(help="Taxonomy data: all, held-out, or auto (held-out when the data is what the model was trained from).")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Quality figures of a model on labelled data."""
    from training.data import DataError, evaluation_split, file_sha256, load_reports
    from training.evaluate import evaluate_generic, evaluate_taxonomy
    from training.train import read_labelled

    estimator, manifest = _load(model)
    paths = [str(p) for p in data]
    try:
        if manifest.get("mode") == "generic":
            text_column = text_column or manifest.get("text_column")
            label_column = label_column or manifest.get("label_column")
            frame, skipped = read_labelled(paths, text_column, label_column)
            metrics = evaluate_generic(estimator, frame[text_column].tolist(), frame[label_column].tolist())
            metrics["skipped_rows"] = skipped
        else:
            frame = load_reports(paths)
            if split not in ("all", "held-out", "auto"):
                _fail("--split must be all, held-out or auto")
            held_out = split == "held-out" or (
                split == "auto" and file_sha256(paths) == manifest.get("training_data_sha256")
            )
            if held_out:
                frame = frame[evaluation_split(frame).to_numpy()]
            metrics = evaluate_taxonomy(estimator, frame)
            metrics["split"] = "held-out" if held_out else "all"
    except DataError as error:
        _fail(str(error))
    metrics["model_version"] = manifest["model_version"]
    if as_json:
        typer.echo(json.dumps(metrics, ensure_ascii=False))
        return
    _print_metrics(metrics)


def _print_metrics(metrics: dict[str, Any]) -> None:
    typer.echo(f"model {metrics['model_version']}: {metrics['n']} rows")
    table = metrics.get("primary") or metrics.get("per_class") or {}
    typer.echo(f"{'label':<18}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
    for label, row in table.items():
        typer.echo(f"{label:<18}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}{row['support']:>9}")
    typer.echo(f"macro-F1 {metrics['macro_f1']:.4f}")
    for key in ("critical_recall", "critical_precision", "urgency_accuracy", "urgency_within_one", "calibration_error", "needs_review_rate"):
        if key in metrics:
            typer.echo(f"{key.replace('_', ' ')} {metrics[key]:.4f}")
    if "stripped" in metrics:
        typer.echo(f"diacritics stripped: macro-F1 {metrics['stripped']['macro_f1']:.4f}")
    confusion = metrics.get("primary_confusion") or metrics.get("confusion")
    typer.echo("confusion (rows true, columns predicted): " + ", ".join(confusion["labels"]))
    for label, row in zip(confusion["labels"], confusion["matrix"]):
        typer.echo(f"{label:<18}" + " ".join(f"{v:>4}" for v in row))


@app.command()
def score(
    input: Annotated[Path, typer.Option("--input", help="JSONL with `id` and `text` per line.")],
    output: Annotated[Path, typer.Option("--output", help="JSONL of result records.")],
    model: ModelOption = None,
    jobs: Annotated[int, typer.Option("--jobs", help="Worker processes (-1: one per core).")] = -1,
) -> None:
    """Score a JSONL file of reports; bad lines are reported with their number and make the exit status 1."""
    estimator, _ = _load(model)
    estimator.set_params(n_jobs=jobs)
    if not input.is_file():
        _fail(f"{input}: no such file")
    bad = 0
    written = 0
    with input.open(encoding="utf-8") as source, output.open("w", encoding="utf-8") as sink:
        batch: list[tuple[str, str]] = []
        for number, line in enumerate(tqdm(source, desc="scoring", unit="line"), start=1):
            if not line.strip():
                continue
            problem, item = _parse_line(line)
            if problem:
                bad += 1
                typer.secho(f"{input}:{number}: {problem}", fg=typer.colors.YELLOW, err=True)
                continue
            batch.append(item)
            if len(batch) >= BATCH:
                written += _write_batch(estimator, batch, sink)
                batch = []
        if batch:
            written += _write_batch(estimator, batch, sink)
    typer.echo(f"scored {written} report(s) into {output}" + (f"; {bad} bad line(s) not scored" if bad else ""))
    if bad:
        raise typer.Exit(1)


def _parse_line(line: str) -> tuple[str | None, tuple[str, str]]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        return f"not valid JSON ({error.msg})", ("", "")
    if not isinstance(row, dict):
        return "a line must be a JSON object", ("", "")
    if "id" not in row or not isinstance(row.get("text"), str) or not row["text"].strip():
        return "needs `id` and a non-empty string `text`", ("", "")
    return None, (str(row["id"]), row["text"])


def _write_batch(estimator: Any, batch: list[tuple[str, str]], sink: Any) -> int:
    ids, texts = zip(*batch)
    for record in estimator.score_reports(list(texts), list(ids)):
        sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(batch)


@data_app.command("check")
def data_check(path: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: data/samples).")] = None) -> None:
    """Validate report files against the taxonomy; prints `file:line: problem` for each."""
    from training.data import DataError, check_paths

    paths = path or [Settings().samples_dir]
    try:
        problems = check_paths(paths)
    except DataError as error:
        _fail(str(error))
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        _fail(f"{len(problems)} problem(s) found", 1)
    typer.echo("no problems found")


@data_app.command("card")
def data_card(
    path: Annotated[Path | None, typer.Argument(help="Samples folder (default: data/samples).")] = None,
    write: Annotated[bool, typer.Option(help="Refresh the tables in the folder's README.md.")] = False,
) -> None:
    """Print (or write into the data card) the counts by primary, urgency, style and source."""
    from training.datacard import card_tables, write_card

    samples = path or Settings().samples_dir
    if write:
        changed = write_card(samples)
        typer.echo(f"{samples / 'README.md'} {'updated' if changed else 'already current'}")
    else:
        typer.echo(card_tables(samples))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default: TRIAGE_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: TRIAGE_PORT, 8000).")] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.")] = 1,
) -> None:
    """Start the scoring service."""
    from service.main import run

    sys.exit(run(host=host, port=port, workers=workers))


@app.command("export-feedback")
def export_feedback(output: Annotated[Path, typer.Argument(help="JSONL to write, in the data/samples schema.")]) -> None:
    """Write reviewers' corrections joined with what was predicted, ready for `triage train`."""
    from service.store import export_feedback as export

    count = export(output)
    typer.echo(f"wrote {count} correction(s) to {output}")
