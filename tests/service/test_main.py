"""`run()` and a real `triage serve` process answering over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from classifier.artifacts import read_manifest
from service import main
from service.main import bind_host

REPORT_TEXT = "Có người lạ trên Zalo liên tục nhắn tin cho em gái tôi 12 tuổi, đòi em gửi ảnh riêng tư."


@pytest.mark.parametrize(
    ("host", "has_keys", "expected"),
    [("127.0.0.1", False, "127.0.0.1"), ("::1", False, "::1"), ("0.0.0.0", False, "127.0.0.1"),
     ("0.0.0.0", True, "0.0.0.0"), ("10.1.2.3", True, "10.1.2.3")],
)
def test_bind_host_keeps_keyless_services_on_loopback(host, has_keys, expected, caplog):
    assert bind_host(host, has_keys) == expected
    assert ("authentication is off" in caplog.text) == (expected != host)


@pytest.mark.parametrize("workers", [1, 2])
def test_run_refuses_to_start_without_a_verified_model(make_settings, tampered_model_dir, monkeypatch, workers):
    monkeypatch.setattr(main, "configure_logging", lambda level: None)
    monkeypatch.setattr(main.uvicorn, "run", lambda *a, **k: pytest.fail("uvicorn must not start"))
    assert run_with(make_settings(model_dir=tampered_model_dir), workers) == 1


def run_with(settings, workers: int) -> int:
    return main.run(host="127.0.0.1", port=0, workers=workers, settings=settings)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _triage() -> str:
    return str(Path(sys.executable).with_name("triage"))


def _serve(tmp_path: Path, model_dir: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "TRIAGE_MODEL_DIR": str(model_dir), "TRIAGE_DATA_DIR": str(tmp_path / "var"),
           "TRIAGE_API_KEYS": "process-key"}
    with log.open("wb") as sink:
        return subprocess.Popen(
            [_triage(), "serve", "--port", str(port)], cwd=tmp_path, env=env,
            stdout=sink, stderr=subprocess.STDOUT,
        )


def _wait_ready(base: str, process: subprocess.Popen, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "triage serve exited early"
        try:
            response = httpx.get(f"{base}/ready", timeout=1)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail("triage serve did not become ready")


def test_triage_serve_answers_over_http(tmp_path, model_dir):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    process = _serve(tmp_path, model_dir, port, log)
    try:
        version = read_manifest(model_dir)["model_version"]
        assert _wait_ready(base, process).json()["model_version"] == version
        headers = {"X-API-Key": "process-key"}
        scored = httpx.post(f"{base}/score", json={"id": "p1", "text": REPORT_TEXT}, headers=headers)
        assert scored.status_code == 200
        assert scored.json()["model_version"] == version and scored.headers["x-request-id"]
        assert httpx.post(f"{base}/score", json={"id": "p2", "text": REPORT_TEXT}).status_code == 401
        too_big = httpx.post(f"{base}/score", content=b"x" * 2_100_000, headers=headers)
        assert too_big.status_code == 413
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "model reloaded" not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert httpx.get(f"{base}/ready").status_code == 200
    finally:
        process.terminate()
        returncode = process.wait(timeout=15)
    assert returncode in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM after a clean shutdown
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
    assert any(line["message"] == "model reloaded" for line in lines)
    assert any(line["message"] == "Application shutdown complete." for line in lines)
    assert any(line.get("endpoint") == "/score" and line.get("status") == 200 for line in lines)
    assert REPORT_TEXT not in log.read_text(encoding="utf-8")
    assert "process-key" not in log.read_text(encoding="utf-8")


def test_triage_serve_exits_non_zero_on_a_tampered_model(tmp_path, tampered_model_dir):
    env = {**os.environ, "TRIAGE_MODEL_DIR": str(tampered_model_dir), "TRIAGE_DATA_DIR": str(tmp_path / "var")}
    done = subprocess.run(
        [_triage(), "serve", "--port", str(_free_port())], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode != 0
    assert "cannot start without a verified model" in done.stderr
    assert "does not match its manifest" in done.stderr
