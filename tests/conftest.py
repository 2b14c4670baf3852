"""Shared fixtures: a small real model trained once per test session from data/samples."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from classifier.artifacts import load_model, save_model
from classifier.model import TriageModel
from training.data import read_table

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def samples() -> pd.DataFrame:
    return read_table([SAMPLES])


@pytest.fixture(scope="session")
def small_training_set(samples: pd.DataFrame) -> pd.DataFrame:
    """About 70 reports of each primary category: enough to learn, quick to fit."""
    return samples.groupby("primary", group_keys=False).apply(
        lambda group: group.sample(min(len(group), 70), random_state=0)
    )


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, small_training_set: pd.DataFrame) -> Path:
    """A saved, verified model directory (trained on a subset, cv=3)."""
    frame = small_training_set
    model = TriageModel(cv=3, n_jobs=2).fit(
        frame["text"].tolist(), frame[["categories", "urgency"]].to_dict("records")
    )
    directory = tmp_path_factory.mktemp("model")
    save_model(model, directory, {"metrics": {"macro_f1": model.cv_macro_f1_}})
    return directory


@pytest.fixture(scope="session")
def model(model_dir: Path) -> TriageModel:
    return load_model(model_dir)[0]
