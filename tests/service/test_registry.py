"""Loading `models:/name@champion` from a local MLflow registry, as training registers it."""

from __future__ import annotations

import mlflow
import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient

from classifier.artifacts import read_manifest
from service.holder import ModelHolder, ModelLoadError

URI = "models:/vi-report-triage@champion"


class _Pyfunc(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory, model_dir):
    """A registry holding `model_dir` as the champion, logged like training/tracking.py does."""
    tmp_path = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    try:
        experiment = mlflow.create_experiment("triage-test", artifact_location=(tmp_path / "mlartifacts").as_uri())
        with mlflow.start_run(experiment_id=experiment):
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=_Pyfunc(),
                artifacts={"model_dir": str(model_dir)},
                registered_model_name="vi-report-triage",
                pip_requirements=["scikit-learn"],
            )
        MlflowClient().set_registered_model_alias("vi-report-triage", "champion", str(info.registered_model_version))
    finally:
        mlflow.set_tracking_uri(None)
    yield uri
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)


def test_champion_is_downloaded_verified_and_served(tracking_uri, tmp_path, model_dir, make_app):
    holder = ModelHolder(tracking_uri, tmp_path / "registry")
    loaded = holder.load(URI)
    assert loaded.version == read_manifest(model_dir)["model_version"]
    assert loaded.uri == URI
    assert list((tmp_path / "registry").iterdir()) == []  # the download is not kept

    app = make_app(model_uri=URI, MLFLOW_TRACKING_URI=tracking_uri)
    with TestClient(app, headers={"X-API-Key": "test-scoring-key"}) as client:
        assert client.get("/model").json()["model_uri"] == URI
        assert client.get("/ready").json()["model_version"] == loaded.version


def test_an_unknown_alias_is_a_load_error(tracking_uri, tmp_path):
    holder = ModelHolder(tracking_uri, tmp_path / "registry")
    with pytest.raises(ModelLoadError, match="cannot fetch"):
        holder.load("models:/vi-report-triage@no-such-alias")
    assert holder.current is None
