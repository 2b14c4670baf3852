"""The reviewer notebooks run end to end on small fixtures, so they cannot silently rot."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from classifier.model import TriageModel
from classifier.settings import Settings
from service.store import AuditStore, Correction, ScoredReport
from training import notebooks
from training.data import REQUIRED, evaluation_split

# Reports written for these tests: the unstored ones must never reach a notebook's output.
STORED = [
    (
        "Có một người lạ trên Facebook nhắn tin cho con gái tôi 11 tuổi, khen xinh rồi đòi con gửi ảnh "
        "không mặc áo, còn hẹn gặp ở công viên tối nay và dặn không được nói với bố mẹ"
    ),
    (
        "Lớp con tôi có nhóm chat riêng ngày nào cũng đăng ảnh chế con tôi kèm tên trường và số điện "
        "thoại nhà, con tôi sợ không dám đi học nữa"
    ),
]
UNSTORED = [
    (
        "Em 15 tuổi bị một anh quen qua game dọa gửi clip nhạy cảm của em cho cả lớp nếu tối nay em "
        "không chuyển hai triệu"
    ),
    "Trang này bán thuốc lá điện tử cho học sinh, giao hàng tận cổng trường, không cần hỏi tuổi",
]
NOTEBOOK_FILES = sorted(notebooks.NOTEBOOK_DIR.glob("*.ipynb"))


def _outputs_text(path: Path) -> str:
    """Every output of an executed notebook as one string (plain text and HTML)."""
    parts = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            data = output.get("data", {})
            parts.extend(str(data.get(kind, "")) for kind in ("text/plain", "text/html"))
    return "\n".join(parts)


def _errors(path: Path) -> list[str]:
    cells = nbformat.read(path, as_version=4).cells
    return [o.get("ename", "") for c in cells for o in c.get("outputs", []) if o.output_type == "error"]


def _images(path: Path) -> int:
    cells = nbformat.read(path, as_version=4).cells
    return sum("image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", []))


def test_notebooks_are_committed_clean_and_parameterised() -> None:
    assert [p.name for p in NOTEBOOK_FILES] == [notebooks.AUDIT, notebooks.MODEL_REPORT]
    for path in NOTEBOOK_FILES:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(cell.outputs == [] and cell.execution_count is None for cell in code), path.name
        tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
        assert tagged == [code[0]], f"{path.name}: the first code cell must be the only `parameters` cell"
        assert notebook.metadata["kernelspec"]["name"] == "python3"


@pytest.fixture(scope="module")
def labelled_file(samples: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five held-out reports of each primary category, in the data/samples schema."""
    held_out = samples[evaluation_split(samples).to_numpy()]
    rows = held_out.groupby("primary").head(5)[list(REQUIRED)].to_dict("records")
    path = tmp_path_factory.mktemp("labelled") / "small.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def audit_url(model: TriageModel, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An audit store with two reports whose text was stored and two whose text was not,
    each corrected by a reviewer in a way that disagrees with whatever the model said."""
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'triage.db'}"
    ids = ["stored-1", "stored-2", "unstored-1", "unstored-2"]
    records = model.score_reports(STORED + UNSTORED, ids)
    for store_text, texts, batch in ((True, STORED, records[:2]), (False, UNSTORED, records[2:])):
        store = AuditStore(url, store_text=store_text)
        store.record_scores(
            [ScoredReport(r["id"], text, {}, r) for r, text in zip(batch, texts)], "models/test", "req"
        )
        store.close()
    store = AuditStore(url, store_text=False)
    for record in records:
        harmful = record["categories"] != ["none"]
        categories, urgency = (["none"], "low") if harmful else (["grooming"], "critical")
        store.add_feedback(
            Correction(record["id"], categories, categories[0], urgency, "reviewer.test", "kiểm tra lại")
        )
    store.close()
    return url


@pytest.fixture(scope="module")
def built(model_dir: Path, labelled_file: Path, audit_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both notebooks run by `training.notebooks` into HTML, with the store as audit log."""
    out = tmp_path_factory.mktemp("reports")
    pages = notebooks.build_reports(out, model_dir, labelled_file, split="all", database_url=audit_url)
    assert [p.name for p in pages] == ["01_audit_predictions.html", "02_model_report.html"]
    return out


def test_reports_are_html_with_figures_and_no_code(built: Path) -> None:
    for name in ("01_audit_predictions.html", "02_model_report.html"):
        page = (built / name).read_text(encoding="utf-8")
        assert page.count("data:image/png;base64") >= 4, name
        assert "Traceback" not in page and "import pandas" not in page
    model_page = (built / "02_model_report.html").read_text(encoding="utf-8")
    for heading in ("Per category", "Calibration", "threshold trade-off", "Slices", "Top terms",
                    "most confident mistakes"):
        assert heading in model_page


def test_audit_report_shows_stored_text_only(built: Path) -> None:
    page = (built / "01_audit_predictions.html").read_text(encoding="utf-8")
    assert "stored-1" in page and "unstored-1" in page
    assert all(text in page for text in STORED)
    assert not any(text[:40] in page for text in UNSTORED)


def test_audit_report_exports_the_corrections_it_can(built: Path) -> None:
    rows = [json.loads(line) for line in (built / "corrections.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(row["id"] for row in rows) == ["stored-1", "stored-2"]
    assert all(set(row) == set(REQUIRED) for row in rows)


def test_audit_notebook_runs_on_a_scored_file(model_dir: Path, labelled_file: Path, tmp_path: Path) -> None:
    scored, labels = notebooks.score_held_out(model_dir, labelled_file, tmp_path)
    executed = notebooks.run_notebook(
        notebooks.AUDIT, {"scored_path": str(scored), "labels_path": str(labels)}, tmp_path
    )
    assert _errors(executed) == []
    assert _images(executed) >= 4
    output = _outputs_text(executed)
    assert f"scored file {scored}" in output
    assert "export_path is empty: nothing exported" in output


def test_kernel_is_this_interpreter_whatever_kernelspecs_exist() -> None:
    spec = notebooks.ThisPythonKernelManager(kernel_name="python3").kernel_spec
    assert spec.argv[0] == sys.executable and "ipykernel_launcher" in spec.argv


def test_default_audit_source_needs_an_existing_database(tmp_path: Path, audit_url: str) -> None:
    assert notebooks.default_database(Settings(data_dir=tmp_path)) is None
    assert notebooks.default_database(Settings(database_url=audit_url)) == audit_url


def test_main_refuses_a_missing_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert notebooks.main(["--out", str(tmp_path / "out"), "--model", str(tmp_path / "none")]) == 2
    assert "make model" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
