"""A real `triage serve` process on loopback, for the tests that need uvicorn and a process."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def triage_command() -> list[str]:
    return [str(Path(sys.executable).with_name("triage")), "serve", "--host", LOOPBACK]


def serve_env(model_dir: Path, data_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment without TRIAGE_* variables, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_") and k != "MLFLOW_TRACKING_URI"}
    env.update(TRIAGE_MODEL_DIR=str(model_dir), TRIAGE_DATA_DIR=str(data_dir))
    env.update({f"TRIAGE_{name.upper()}": value for name, value in settings.items()})
    return env


class Server:
    """`triage serve` on a free loopback port; stdout and stderr go to `log`."""

    def __init__(self, model_dir: Path, data_dir: Path, log: Path, **settings: str) -> None:
        self.port = free_port()
        self.base = f"http://{LOOPBACK}:{self.port}"
        self.data_dir = data_dir
        self.log = log
        self.env = serve_env(model_dir, data_dir, **settings)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def database(self) -> Path:
        return self.data_dir / "triage.db"

    def start(self, timeout: float = 60) -> Server:
        """Start (again, on the same port and data) and wait until /ready is 200."""
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [*triage_command(), "--port", str(self.port)], cwd=self.data_dir.parent, env=self.env,
                stdout=sink, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"triage serve exited with {self.process.returncode}: {self.log_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/ready", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"triage serve was not ready within {timeout} s")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush; what is committed must survive anyway."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def query(self, sql: str) -> list[tuple]:
        """Read the audit database directly, as an operator would."""
        with closing(sqlite3.connect(self.database, timeout=30)) as connection:
            return connection.execute(sql).fetchall()
