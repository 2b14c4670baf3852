"""MLflow tracking for training runs: parameters, metrics, figures, the model and its alias.

The service never needs this module: it loads a model directory, or downloads one from the
registry by URI. The pyfunc flavour is for people who load models with `mlflow.pyfunc`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from classifier.settings import REGISTERED_MODEL, Settings
from classifier.taxonomy import CATEGORIES
from training.plots import calibration_figure, confusion_figure
from training.train import TrainResult, primary_metric

CHAMPION = "champion"
METRIC_TAG = "held_out_macro_f1"


class TriagePyfunc(mlflow.pyfunc.PythonModel):
    """`mlflow.pyfunc` wrapper: a DataFrame with `text` (and optional `id`) -> result records."""

    def load_context(self, context: Any) -> None:
        from classifier.artifacts import load_model

        self.model, _ = load_model(context.artifacts["model_dir"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        texts = model_input["text"].astype(str).tolist()
        ids = model_input["id"].astype(str).tolist() if "id" in model_input else None
        return pd.DataFrame(self.model.score_reports(texts, ids))


def _flat_metrics(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            flat[name] = float(value)
        elif isinstance(value, dict) and key not in ("primary_confusion", "urgency_confusion", "confusion"):
            flat.update(_flat_metrics(value, f"{name}."))
    return flat


def log_run(
    result: TrainResult,
    output: Path,
    data_paths: list[str],
    registered_name: str | None,
    promote: bool,
    settings: Settings,
) -> dict[str, Any]:
    """Log a finished training run; returns the registered version and whether it became champion."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(settings.resolved_tracking_uri)
    mode = result.manifest.get("mode", "taxonomy")
    name = registered_name or (REGISTERED_MODEL if mode == "taxonomy" else f"{REGISTERED_MODEL}-generic")
    if mlflow.get_experiment_by_name(name) is None:
        artifacts = (settings.data_dir / "mlartifacts").resolve().as_uri()
        mlflow.create_experiment(name, artifact_location=artifacts)
    mlflow.set_experiment(name)
    with mlflow.start_run(run_name=result.manifest["model_version"]) as run:
        mlflow.log_params({k: str(v) for k, v in result.params.items()})
        mlflow.log_params({"mode": mode, "data": ",".join(data_paths), "model_dir": str(output)})
        mlflow.log_metrics(_flat_metrics(result.metrics))
        mlflow.log_metric("training_seconds", result.seconds)
        mlflow.log_dict(result.metrics, "metrics.json")
        mlflow.log_dict({"search": result.search}, "search.json")
        mlflow.log_artifact(str(output / "manifest.json"))
        for filename, figure in _figures(result).items():
            mlflow.log_figure(figure, filename)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=TriagePyfunc(),
            artifacts={"model_dir": str(output)},
            registered_model_name=name,
            pip_requirements=["scikit-learn", "underthesea", "pandas", "joblib", "scipy", "numpy"],
        )
        version = info.registered_model_version
        client = MlflowClient()
        score = primary_metric(result.metrics)
        client.set_model_version_tag(name, str(version), METRIC_TAG, str(score))
        champion = _champion_score(client, name)
        became = promote or champion is None or score >= champion
        if became:
            client.set_registered_model_alias(name, CHAMPION, str(version))
        return {"run_id": run.info.run_id, "registered_model": name, "version": version,
                "champion": became, "previous_champion_macro_f1": champion}


def _champion_score(client: MlflowClient, name: str) -> float | None:
    try:
        current = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
    value = current.tags.get(METRIC_TAG)
    return float(value) if value is not None else None


def _figures(result: TrainResult) -> dict[str, Any]:
    metrics = result.metrics
    if "primary_confusion" in metrics:
        figures = {
            "confusion_primary.png": confusion_figure(metrics["primary_confusion"]["matrix"], metrics["primary_confusion"]["labels"], "primary category"),
            "confusion_urgency.png": confusion_figure(metrics["urgency_confusion"]["matrix"], metrics["urgency_confusion"]["labels"], "urgency"),
        }
        test = result.extra.get("test_frame")
        if test is not None:
            records = result.model.score_reports(test["text"].tolist())
            probs = np.array([[r["scores"][c] for c in CATEGORIES] for r in records])
            truth = np.array([[c in cats for c in CATEGORIES] for cats in test["categories"]], dtype=int)
            figures["calibration.png"] = calibration_figure(probs, truth, CATEGORIES)
        return figures
    return {"confusion.png": confusion_figure(metrics["confusion"]["matrix"], metrics["confusion"]["labels"], "held-out")}
