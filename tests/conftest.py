"""Shared fixtures: a small real model trained once per test session from data/samples."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from classifier.artifacts import load_model, save_model
from classifier.model import TriageModel
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
