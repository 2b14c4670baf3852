"""Saving and loading: identical scores after a round trip, tampered files refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from classifier.artifacts import ArtifactError, load_model, read_manifest
from classifier.model import TriageModel

TEXTS = ["Có người lạ đòi con tôi gửi ảnh nhạy cảm", "xin hỏi cách chặn quảng cáo trên youtube kids"]


def test_manifest_records_what_a_reviewer_needs(model_dir: Path) -> None:
    manifest = read_manifest(model_dir)
    for key in ("model_version", "created_at", "labels", "thresholds", "metrics", "artifact_sha256", "libraries"):
        assert key in manifest
    assert manifest["kind"] == "TriageModel"


def test_round_trip_gives_identical_scores(model_dir: Path, model: TriageModel) -> None:
    reloaded, manifest = load_model(model_dir)
    assert reloaded.score_reports(TEXTS) == model.score_reports(TEXTS)
    assert reloaded.model_version_ == manifest["model_version"]


def test_tampered_artifact_is_refused(model_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    with (copy / "model.joblib").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ArtifactError, match="does not match its manifest"):
        load_model(copy)


def test_manifest_hash_edit_is_refused(model_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["artifact_sha256"] = "0" * 64
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError):
        load_model(copy)


def test_missing_directory_explains_itself(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="triage train"):
        load_model(tmp_path / "nothing")


def test_artifact_of_an_older_format_is_refused_with_how_to_fix_it(model_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    del manifest["format"]
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtifactError, match="artifact format 1.*retrain"):
        load_model(copy)
