"""The `triage` command end to end on small real data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.model import RESULT_KEYS
from training.cli import app

runner = CliRunner()
COLUMNS = ["id", "text", "categories", "primary", "urgency", "style", "source"]


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory, small_training_set: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("data") / "small.jsonl"
    small_training_set[COLUMNS].to_json(path, orient="records", lines=True, force_ascii=False)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, small_data: Path) -> tuple[Path, Path]:
    """`triage train` with MLflow on, into a temporary model dir and tracking store."""
    home = tmp_path_factory.mktemp("home")
    output = home / "model"
    env = {"TRIAGE_DATA_DIR": str(home / "var")}
    result = runner.invoke(app, ["train", "--data", str(small_data), "--output", str(output)], env=env)
    assert result.exit_code == 0, result.output
    return output, home


def test_train_writes_a_model_and_logs_to_mlflow(trained: tuple[Path, Path]) -> None:
    output, home = trained
    manifest = json.loads((output / "manifest.json").read_text())
    assert manifest["mode"] == "taxonomy"
    assert 0 <= manifest["metrics"]["macro_f1"] <= 1
    assert (home / "var" / "mlflow.db").exists()

    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(f"sqlite:///{home / 'var' / 'mlflow.db'}")
    version = MlflowClient().get_model_version_by_alias("vi-report-triage", "champion")
    assert version.tags["held_out_macro_f1"] == str(manifest["metrics"]["macro_f1"])


def test_score_writes_exactly_the_record_keys(trained: tuple[Path, Path], tmp_path: Path) -> None:
    output, _ = trained
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": "a", "text": "Có người lạ đòi con tôi gửi ảnh nhạy cảm", "extra": 1}\n'
        '{"id": "b", "text": "xin hỏi cách cài kiểm soát của phụ huynh"}\n',
        encoding="utf-8",
    )
    target = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["score", "--input", str(source), "--output", str(target), "--model", str(output)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["a", "b"]
    assert all(tuple(r) == RESULT_KEYS for r in records)


def test_score_reports_bad_lines_with_numbers(trained: tuple[Path, Path], tmp_path: Path) -> None:
    output, _ = trained
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "con bị bắt nạt trên mạng"}\nnot json\n{"id": "c"}\n', encoding="utf-8")
    target = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["score", "--input", str(source), "--output", str(target), "--model", str(output)])
    assert result.exit_code == 1
    assert f"{source}:2: not valid JSON" in result.output
    assert f"{source}:3: needs `id`" in result.output
    assert len(target.read_text().splitlines()) == 1


def test_evaluate_json_reports_macro_f1(trained: tuple[Path, Path], small_data: Path) -> None:
    output, _ = trained
    result = runner.invoke(app, ["evaluate", "--model", str(output), "--data", str(small_data), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert metrics["split"] == "held-out"
    for key in ("macro_f1", "critical_recall", "critical_precision", "urgency_within_one", "calibration_error"):
        assert 0 <= metrics[key] <= 1


def test_missing_model_says_how_to_build_it(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "x"}\n')
    result = runner.invoke(app, ["score", "--input", str(source), "--output", str(tmp_path / "o"), "--model", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "make model" in result.output


def test_generic_mode_skips_empty_text_and_counts_it(tmp_path: Path, small_training_set: pd.DataFrame) -> None:
    frame = small_training_set[["text", "primary"]].rename(columns={"text": "free_text", "primary": "label_id"})
    frame = pd.concat([frame, pd.DataFrame({"free_text": [None, "  "], "label_id": ["none", "none"]})])
    path = tmp_path / "generic.csv"
    frame.to_csv(path, index=False)
    output = tmp_path / "generic-model"
    result = runner.invoke(
        app,
        ["train", "--data", str(path), "--text-column", "free_text", "--label-column", "label_id",
         "--output", str(output), "--no-mlflow"],
    )
    assert result.exit_code == 0, result.output
    assert "skipped 2 row(s)" in result.output
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    usable = len(small_training_set)
    assert manifest["training_rows"] + manifest["held_out_rows"] == usable
    assert manifest["refit_on_all_rows"] == usable  # measured on the 80%, then refit on every row
    evaluation = runner.invoke(
        app, ["evaluate", "--model", str(output), "--data", str(path), "--text-column", "free_text",
              "--label-column", "label_id", "--json"],
    )
    assert evaluation.exit_code == 0, evaluation.output
    assert json.loads(evaluation.output)["macro_f1"] > 0.5


def test_bad_data_gives_clear_errors(tmp_path: Path) -> None:
    broken = Path(__file__).resolve().parents[1] / "fixtures" / "broken" / "labels.jsonl"
    result = runner.invoke(app, ["train", "--data", str(broken), "--output", str(tmp_path / "m"), "--no-mlflow"])
    assert result.exit_code == 2
    assert "labels.jsonl:1: unknown category blackmail" in result.output
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n1,2\n")
    result = runner.invoke(app, ["train", "--data", str(csv), "--text-column", "text", "--label-column", "b", "--no-mlflow"])
    assert result.exit_code == 2
    assert "column 'text' not found" in result.output


def test_data_check_command(tmp_path: Path) -> None:
    broken = Path(__file__).resolve().parents[1] / "fixtures" / "broken"
    result = runner.invoke(app, ["data", "check", str(broken)])
    assert result.exit_code == 1
    assert "duplicates.jsonl:2: duplicate id" in result.output
