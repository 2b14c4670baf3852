"""Tampered artifacts never load, never run their code, and never replace the serving model.

Already covered elsewhere: an artifact with one byte appended is refused by `load_model`
(tests/classifier/test_artifacts.py), by `triage serve` (tests/service/test_main.py) and by
/admin/reload (tests/service/routes/test_admin.py). Here: other kinds of tampering, an
artifact that would run code when unpickled, and what /ready and /metrics say afterwards.
"""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from classifier.artifacts import MANIFEST_FILE, MODEL_FILE, load_model, read_manifest, save_model

from .conftest import ADMIN_KEY, API_KEY
from .server import free_port, serve_env, triage_command

REPORT = {"id": "art-1", "text": "Có người lạ nhắn tin cho con tôi 10 tuổi, đòi cháu gửi ảnh và hẹn gặp tối nay."}


class TouchOnUnpickle:
    """Unpickling this creates `path`: the stand-in for code an attacker hides in a pickle."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Callable[..., None], tuple[Path]]:
        return Path.touch, (self.path,)


def code_artifact(directory: Path, sentinel: Path) -> None:
    """Replace the artifact by a pickle that touches `sentinel`; the manifest stays as it was."""
    (directory / MODEL_FILE).write_bytes(pickle.dumps(TouchOnUnpickle(sentinel)))


def flip_a_byte(directory: Path, _: Path) -> None:
    artifact = directory / MODEL_FILE
    data = bytearray(artifact.read_bytes())
    data[len(data) // 2] ^= 0xFF
    artifact.write_bytes(bytes(data))


def truncate(directory: Path, _: Path) -> None:
    artifact = directory / MODEL_FILE
    artifact.write_bytes(artifact.read_bytes()[: artifact.stat().st_size // 2])


def edit_manifest_hash(directory: Path, _: Path) -> None:
    manifest = read_manifest(directory) | {"artifact_sha256": "0" * 64}
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")


def swap_in_another_model(directory: Path, _: Path) -> None:
    """The artifact of a genuine model of another version, next to this model's manifest."""
    other = directory.parent / f"{directory.name}-other"
    save_model(load_model(directory)[0], other)
    shutil.copyfile(other / MODEL_FILE, directory / MODEL_FILE)


def remove_manifest(directory: Path, _: Path) -> None:
    (directory / MANIFEST_FILE).unlink()


TAMPERINGS = {
    "code in the artifact": (code_artifact, "does not match its manifest"),
    "one byte flipped": (flip_a_byte, "does not match its manifest"),
    "truncated artifact": (truncate, "does not match its manifest"),
    "manifest hash edited": (edit_manifest_hash, "does not match its manifest"),
    "artifact of another model": (swap_in_another_model, "does not match its manifest"),
    "manifest removed": (remove_manifest, "not found"),
}


@pytest.fixture
def tampered_copy(model_dir: Path, tmp_path: Path) -> Callable[[Callable[[Path, Path], None]], Path]:
    """A copy of the session model, tampered with by the given function."""

    def build(tamper: Callable[[Path, Path], None]) -> Path:
        directory = tmp_path / "tampered"
        shutil.copytree(model_dir, directory)
        tamper(directory, tmp_path / "code-ran")
        return directory

    return build


def test_the_code_artifact_runs_code_when_unpickled(tmp_path: Path) -> None:
    """The payload is live: without the hash check, loading the model would run it."""
    code_artifact(tmp_path, tmp_path / "code-ran")
    pickle.loads((tmp_path / MODEL_FILE).read_bytes())
    assert (tmp_path / "code-ran").exists()


@pytest.mark.parametrize(("tamper", "reason"), TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_reload_refuses_a_tampered_model_and_the_old_one_keeps_serving(
    make_app: Callable[..., FastAPI],
    model_dir: Path,
    tampered_copy: Callable[[Callable[[Path, Path], None]], Path],
    tmp_path: Path,
    tamper: Callable[[Path, Path], None],
    reason: str,
) -> None:
    directory = tampered_copy(tamper)
    old = read_manifest(model_dir)["model_version"]
    with TestClient(make_app(), headers={"X-API-Key": API_KEY}) as client:
        response = client.post("/admin/reload", json={"model_uri": str(directory)}, headers={"X-API-Key": ADMIN_KEY})
        assert response.status_code == 409
        assert reason in response.json()["detail"] and f"{old} keeps serving" in response.json()["detail"]
        assert client.get("/ready").json() == {"status": "ready", "model_version": old, "model_uri": str(model_dir)}
        assert client.post("/score", json=REPORT).json()["model_version"] == old
        assert 'triage_model_reloads_total{outcome="failed"} 1.0' in client.get("/metrics").text
    assert not (tmp_path / "code-ran").exists()


def test_serve_refuses_to_start_on_an_artifact_carrying_code(
    tampered_copy: Callable[[Callable[[Path, Path], None]], Path], tmp_path: Path
) -> None:
    directory = tampered_copy(code_artifact)
    done = subprocess.run(
        [*triage_command(), "--port", str(free_port())], cwd=tmp_path,
        env=serve_env(directory, tmp_path / "var", api_keys=API_KEY),
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode != 0
    assert "cannot start without a verified model" in done.stderr
    assert "does not match its manifest" in done.stderr
    assert "serving on" not in done.stderr
    assert not (tmp_path / "code-ran").exists()
