"""Fetching a model directory from the MLflow registry (`models:/name@alias` URIs).

MLflow is imported lazily: a service that loads a plain directory never pays for it.
"""

from __future__ import annotations

from pathlib import Path

REGISTRY_PREFIX = "models:/"


def is_registry_uri(uri: str) -> bool:
    return uri.startswith(REGISTRY_PREFIX)


def download_model_dir(uri: str, tracking_uri: str, destination: Path) -> Path:
    """Download a registered pyfunc model into `destination`; returns its model directory.

    Training logs the directory as the pyfunc artifact `model_dir`; MLflow stores it under
    `artifacts/<original folder name>`, so the path is read from the MLmodel file.
    """
    import mlflow
    from mlflow.models import Model

    # MLflow resolves a models:/ URI against its process-wide registry URI (it ignores the
    # registry_uri argument for that step), so set it; the service uses one tracking URI.
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(destination)))
    flavor = Model.load(str(local)).flavors.get("python_function", {})
    relative = flavor.get("artifacts", {}).get("model_dir", {}).get("path", "artifacts/model_dir")
    return local / relative
