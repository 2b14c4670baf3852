"""Saving and loading a model directory: `model.joblib` plus `manifest.json`.

A joblib file is a pickle, and unpickling runs code. So the manifest records the artifact's
sha256, and loading refuses any file whose bytes differ from it before unpickling anything.
"""

from __future__ import annotations

import hashlib
import json
import platform
import secrets
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib

MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
LIBRARIES = ("scikit-learn", "numpy", "scipy", "underthesea", "joblib", "pandas")
# Raised whenever a saved model's fitted state changes shape; older artifacts are refused.
# 2: segmenter parameter, one-pass features with block starts.
ARTIFACT_FORMAT = 2


class ArtifactError(RuntimeError):
    """A model directory that is missing, incomplete, tampered with or of the wrong kind."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def save_model(model: Any, directory: str | Path, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write the model and its manifest; returns the manifest.

    `extra` adds fields such as `metrics` and `training_data_sha256`. The model gets its
    `model_version_` here so every result it scores names the artifact it came from.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC)
    version = f"{created:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    model.model_version_ = version
    path = directory / MODEL_FILE
    joblib.dump(model, path, compress=3)
    manifest = {
        "model_version": version,
        "created_at": created.isoformat(timespec="seconds"),
        "kind": type(model).__name__,
        "format": ARTIFACT_FORMAT,
        **model.manifest_fields(),
        **(extra or {}),
        "artifact": MODEL_FILE,
        "artifact_sha256": sha256_file(path),
        "libraries": library_versions(),
    }
    (directory / MANIFEST_FILE).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, default=_jsonable), encoding="utf-8"
    )
    return manifest


def read_manifest(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST_FILE
    if not path.is_file():
        raise ArtifactError(f"{path} not found: is {directory} a model directory from `triage train`?")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ArtifactError(f"{path} is not valid JSON: {error}") from error


def load_model(directory: str | Path) -> tuple[Any, dict[str, Any]]:
    """The verified model and its manifest; raises `ArtifactError` on any mismatch."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest.get("format", 1) != ARTIFACT_FORMAT:
        raise ArtifactError(
            f"{directory} was saved in artifact format {manifest.get('format', 1)}, this version reads "
            f"format {ARTIFACT_FORMAT}: retrain it (`triage train --output {directory}`)"
        )
    path = directory / manifest.get("artifact", MODEL_FILE)
    if not path.is_file():
        raise ArtifactError(f"{path} not found")
    actual = sha256_file(path)
    if actual != manifest.get("artifact_sha256"):
        raise ArtifactError(
            f"{path} does not match its manifest (sha256 {actual[:12]}… expected "
            f"{str(manifest.get('artifact_sha256'))[:12]}…): refusing to load a file that may "
            "have been altered"
        )
    model = joblib.load(path)
    if type(model).__name__ != manifest.get("kind"):
        raise ArtifactError(f"{path} holds a {type(model).__name__}, manifest says {manifest.get('kind')}")
    if getattr(model, "model_version_", None) != manifest.get("model_version"):
        raise ArtifactError(f"{path} version does not match its manifest")
    return model, manifest


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to the manifest")
