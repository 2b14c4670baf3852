"""Shared fixtures: a small real model trained once per test session from data/samples."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI

from classifier.artifacts import MANIFEST_FILE, MODEL_FILE, load_model, save_model, sha256_file
from classifier.model import TriageModel
from classifier.settings import Settings
from service.app import create_app
from training.data import evaluation_split, read_table

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def samples() -> pd.DataFrame:
    return read_table([SAMPLES])


@pytest.fixture(scope="session")
def training_split(samples: pd.DataFrame) -> pd.DataFrame:
    """The training part of the fixed evaluation split (never the held-out reports)."""
    return samples[~evaluation_split(samples).to_numpy()]


@pytest.fixture(scope="session")
def small_training_set(training_split: pd.DataFrame) -> pd.DataFrame:
    """About 40 reports of each primary category, for end-to-end runs that train again."""
    return pd.concat(
        group.sample(min(len(group), 40), random_state=0)
        for _, group in training_split.groupby("primary")
    )


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, training_split: pd.DataFrame) -> Path:
    """A saved, verified model trained on the training split (cv=3 to keep it quick)."""
    frame = training_split
    model = TriageModel(cv=3, n_jobs=2).fit(
        frame["text"].tolist(), frame[["categories", "urgency"]].to_dict("records")
    )
    directory = tmp_path_factory.mktemp("model")
    save_model(model, directory, {"metrics": {"macro_f1": model.cv_macro_f1_}})
    return directory


@pytest.fixture(scope="session")
def model(model_dir: Path) -> TriageModel:
    return load_model(model_dir)[0]


@pytest.fixture(scope="session", autouse=True)
def _unpickle_each_model_once() -> Iterator[None]:
    """Share the unpickled model between the ~100 apps the tests build.

    Unpickling is most of `create_app`'s time. A directory is loaded for real the first
    time, and again whenever its manifest or artifact bytes change, so hash verification
    still decides every load; the smoke prediction runs on every load as in production.
    """
    import service.holder

    loaded: dict[tuple[str, str, str], tuple[Any, dict[str, Any]]] = {}

    def load_once(directory: str | Path) -> tuple[Any, dict[str, Any]]:
        directory = Path(directory)
        try:
            key = (
                str(directory.resolve()),
                (directory / MANIFEST_FILE).read_text(encoding="utf-8"),
                sha256_file(directory / MODEL_FILE),
            )
        except OSError:
            return load_model(directory)
        if key not in loaded:
            loaded[key] = load_model(directory)
        return loaded[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service.holder, "load_model", load_once)
        yield


@pytest.fixture(autouse=True)
def _no_triage_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings in tests come from arguments only, never from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("TRIAGE_") or name == "MLFLOW_TRACKING_URI":
            monkeypatch.delenv(name)


@pytest.fixture
def suite_settings() -> dict[str, Any]:
    """Settings a test suite adds (keys, text storage); suites override this fixture."""
    return {}


@pytest.fixture
def make_settings(tmp_path: Path, model_dir: Path, suite_settings: dict[str, Any]) -> Callable[..., Settings]:
    """Settings with a private data dir and the session model, plus the suite's and the test's."""

    def build(**overrides: Any) -> Settings:
        values = {"data_dir": tmp_path / "var", "model_dir": model_dir, **suite_settings, **overrides}
        return Settings(_env_file=None, **values)

    return build


@pytest.fixture
def make_app(make_settings: Callable[..., Settings]) -> Callable[..., FastAPI]:
    return lambda **overrides: create_app(make_settings(**overrides))
