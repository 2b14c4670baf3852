"""Service fixtures: apps built by `create_app` on the session's small real model."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from classifier.artifacts import MODEL_FILE, load_model, save_model
from service.store import scored_reports

API_KEY = "test-scoring-key"
ADMIN_KEY = "test-admin-key"
REPORTS = [
    "Con tôi 11 tuổi bị một người lạ trên Zalo nhắn tin liên tục, đòi gửi ảnh và hẹn gặp riêng.",
    "lop e co nhom chat toan che gieu ban Lan, tui no dang anh ban ay len moi ngay",
    "Xin hỏi cách cài đặt kiểm soát của phụ huynh trên điện thoại cho con 9 tuổi.",
    "Có trang đăng tin tuyển lao động tuổi 15 đi làm xa, việc nhẹ lương cao, bao ăn ở.",
]


@pytest.fixture
def suite_settings() -> dict[str, Any]:
    """What this suite's apps get on top of the shared test settings."""
    return {"api_keys": API_KEY, "admin_keys": ADMIN_KEY, "store_text": True}


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers={"X-API-Key": API_KEY}) as test_client:
        yield test_client


@pytest.fixture
def report() -> Callable[..., dict[str, Any]]:
    def build(number: int = 0, **fields: Any) -> dict[str, Any]:
        return {"id": f"rpt-{number:04d}", "text": REPORTS[number % len(REPORTS)], **fields}

    return build


@pytest.fixture
def audit_rows(app: FastAPI) -> Callable[[], list[dict[str, Any]]]:
    def read() -> list[dict[str, Any]]:
        with app.state.store.engine.connect() as connection:
            rows = connection.execute(select(scored_reports).order_by(scored_reports.c.seq))
            return [dict(row._mapping) for row in rows]

    return read


@pytest.fixture(scope="session")
def other_model_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same model saved again: a second, distinct version for reload tests."""
    model, _ = load_model(model_dir)
    directory = tmp_path_factory.mktemp("other-model")
    save_model(model, directory, {"metrics": {"macro_f1": 0.5}})
    return directory


@pytest.fixture(scope="session")
def tampered_model_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the model whose artifact no longer matches its manifest's sha256."""
    directory = tmp_path_factory.mktemp("tampered-model")
    shutil.copytree(model_dir, directory, dirs_exist_ok=True)
    with (directory / MODEL_FILE).open("ab") as artifact:
        artifact.write(b"\0")
    return directory
