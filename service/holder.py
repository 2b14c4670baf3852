"""The model the service scores with, and its verified, atomic replacement."""

from __future__ import annotations

import gc
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifier.artifacts import ArtifactError, load_model
from classifier.model import RESULT_KEYS
from service.registry import download_model_dir, is_registry_uri

# A fixed, fictional report: every candidate model must score it before it may serve.
SMOKE_TEXT = (
    "Có một tài khoản lạ trên Zalo nhắn tin cho con tôi 11 tuổi suốt một tuần, "
    "hứa nạp thẻ game và hẹn gặp con ở cổng trường tối nay."
)
SMOKE_METADATA = {"victim_age": 11}


class ModelLoadError(RuntimeError):
    """A model that could not be fetched, verified or smoke-tested; the old one keeps serving."""


@dataclass(frozen=True)
class LoadedModel:
    model: Any
    manifest: dict[str, Any]
    uri: str
    loaded_at: datetime

    @property
    def version(self) -> str:
        return str(self.manifest["model_version"])


class ModelHolder:
    """Holds the current `LoadedModel`; each request reads `current` once and keeps it.

    Rebinding one attribute is atomic, so readers need no lock and a request that took the
    old reference finishes on the old model: a reload never mixes two models in one answer.
    The lock only serialises loads, so two reloads cannot race each other.
    """

    def __init__(self, tracking_uri: str, download_dir: Path) -> None:
        self.tracking_uri = tracking_uri
        self.download_dir = download_dir
        self.last_error: str | None = None
        self._current: LoadedModel | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> LoadedModel | None:
        return self._current

    def load(self, uri: str) -> LoadedModel:
        """Verify the model at `uri` and make it current; on failure nothing changes."""
        with self._lock:
            try:
                loaded = self._verified(uri)
            except ModelLoadError as error:
                self.last_error = str(error)
                raise
            self._current = loaded
            self.last_error = None
        # The model and everything loaded so far live as long as the process: keep them out of
        # the cyclic collector, whose full passes over them paused every request for ~110 ms.
        gc.freeze()
        return loaded

    def _verified(self, uri: str) -> LoadedModel:
        if not is_registry_uri(uri):
            return _from_directory(Path(uri), uri)
        self.download_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.download_dir) as scratch:
            try:
                directory = download_model_dir(uri, self.tracking_uri, Path(scratch))
            except Exception as error:  # MLflow raises many types for a missing model or store
                raise ModelLoadError(f"cannot fetch {uri} from the MLflow registry: {error}") from error
            return _from_directory(directory, uri)


def _from_directory(directory: Path, uri: str) -> LoadedModel:
    try:
        model, manifest = load_model(directory)
    except ArtifactError as error:
        raise ModelLoadError(str(error)) from error
    except Exception as error:  # unpickling an incompatible artifact can raise anything
        raise ModelLoadError(f"cannot load {directory}: {type(error).__name__}: {error}") from error
    if manifest.get("mode") != "taxonomy":
        raise ModelLoadError(
            f"{directory} holds a {manifest.get('mode')!r} model; the service needs a taxonomy model"
        )
    smoke_test(model, manifest)
    return LoadedModel(model, manifest, uri, datetime.now(UTC))


def smoke_test(model: Any, manifest: dict[str, Any]) -> None:
    """Score the fixed report; the result must be complete and name the manifest's version."""
    try:
        records = model.score_reports([SMOKE_TEXT], ["smoke-test"], [SMOKE_METADATA])
    except Exception as error:  # any failure here means the model must not serve
        raise ModelLoadError(f"smoke prediction failed: {type(error).__name__}: {error}") from error
    if len(records) != 1:
        raise ModelLoadError(f"smoke prediction returned {len(records)} records for one report")
    missing = [key for key in RESULT_KEYS if key not in records[0]]
    if missing:
        raise ModelLoadError(f"smoke prediction lacks {', '.join(missing)}")
    if records[0]["model_version"] != manifest.get("model_version"):
        raise ModelLoadError("smoke prediction names a different model version than the manifest")
