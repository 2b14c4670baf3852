"""Reliability fixtures: apps built by `create_app` on the session's real model, and keys.

The session fixtures `model_dir` and `model` come from tests/conftest.py. Like the service
tests, apps here share one unpickled model per artifact (hash verification and the smoke
prediction still run on every load), so building several apps stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from classifier.settings import Settings
from service.app import create_app

from .server import Server

API_KEY = "reliability-scoring-key"
ADMIN_KEY = "reliability-admin-key"


@pytest.fixture
def make_settings(tmp_path: Path, model_dir: Path) -> Callable[..., Settings]:
    """Settings with both kinds of key, a private data dir and text storage off."""

    def build(**overrides: Any) -> Settings:
        values = {
            "data_dir": tmp_path / "var",
            "model_dir": model_dir,
            "api_keys": API_KEY,
            "admin_keys": ADMIN_KEY,
            **overrides,
        }
        return Settings(_env_file=None, **values)

    return build


@pytest.fixture
def make_app(make_settings: Callable[..., Settings]) -> Callable[..., FastAPI]:
    return lambda **overrides: create_app(make_settings(**overrides))


@pytest.fixture(scope="session")
def served(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real `triage serve` (DEBUG logs, text not stored) shared by the privacy and limit tests."""
    root = tmp_path_factory.mktemp("served")
    server = Server(
        model_dir, root / "var", root / "serve.log",
        api_keys=API_KEY, admin_keys=ADMIN_KEY, log_level="DEBUG",
    )
    (root / "var").mkdir()
    yield server.start()
    server.stop()
