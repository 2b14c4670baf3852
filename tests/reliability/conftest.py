"""Reliability fixtures: apps built by `create_app` on the session's real model, and keys.

The session fixtures `model_dir` and `model` come from tests/conftest.py. Like the service
tests, apps here share one unpickled model per artifact (hash verification and the smoke
prediction still run on every load), so building several apps stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .server import Server

API_KEY = "reliability-scoring-key"
ADMIN_KEY = "reliability-admin-key"


@pytest.fixture
def suite_settings() -> dict[str, Any]:
    """What this suite's apps get on top of the shared test settings."""
    return {"api_keys": API_KEY, "admin_keys": ADMIN_KEY}


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
