"""The model holder: only verified models serve, and a failed load changes nothing."""

from __future__ import annotations

import gc
import json
import shutil

import pytest

from classifier.artifacts import MANIFEST_FILE, read_manifest
from service.holder import ModelHolder, ModelLoadError, smoke_test


@pytest.fixture
def holder(tmp_path):
    return ModelHolder("sqlite:///unused.db", tmp_path / "registry")


def test_load_makes_a_verified_model_current(holder, model_dir):
    loaded = holder.load(str(model_dir))
    assert holder.current is loaded
    assert loaded.version == read_manifest(model_dir)["model_version"]
    assert loaded.uri == str(model_dir)


def test_a_loaded_model_is_kept_out_of_the_cyclic_collector(holder, model_dir):
    gc.unfreeze()
    holder.load(str(model_dir))
    assert gc.get_freeze_count() > 0


def test_tampered_artifact_is_refused_and_the_old_model_stays(holder, model_dir, tampered_model_dir):
    first = holder.load(str(model_dir))
    with pytest.raises(ModelLoadError, match="does not match its manifest"):
        holder.load(str(tampered_model_dir))
    assert holder.current is first
    assert "does not match" in holder.last_error


def test_a_model_of_the_generic_mode_is_refused(holder, model_dir, tmp_path):
    directory = tmp_path / "generic"
    shutil.copytree(model_dir, directory)
    manifest = read_manifest(directory) | {"mode": "generic"}
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="taxonomy model"):
        holder.load(str(directory))
    assert holder.current is None


class _FakeModel:
    def __init__(self, record=None, error=None):
        self.record, self.error = record, error

    def score_reports(self, texts, ids, metadata):
        if self.error:
            raise self.error
        return [self.record]


@pytest.mark.parametrize(
    ("fake", "message"),
    [
        (_FakeModel(error=ValueError("boom")), "smoke prediction failed: ValueError"),
        (_FakeModel(record={"id": "smoke-test", "model_version": "v1"}), "lacks primary"),
    ],
)
def test_smoke_test_refuses_broken_models(fake, message):
    with pytest.raises(ModelLoadError, match=message):
        smoke_test(fake, {"model_version": "v1"})


def test_smoke_test_refuses_a_version_mismatch(model, model_dir):
    with pytest.raises(ModelLoadError, match="different model version"):
        smoke_test(model, {"model_version": "not-" + read_manifest(model_dir)["model_version"]})
