"""Load and crash on a real `triage serve` (loopback): nothing acknowledged is ever lost.

Slow: run by `make reliability` (`pytest -m slow`). Figures are printed (`-s` to see them).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from .conftest import API_KEY
from .server import Server

pytestmark = pytest.mark.slow

TOTAL = 10_000
CLIENTS = 100
CRASH_AFTER = 1_000  # acknowledged requests before the kill -9
TEXTS = [
    "Có người lạ trên Zalo nhắn tin cho con tôi 11 tuổi, đòi cháu gửi ảnh và hẹn gặp ở cổng trường tối nay.",
    "lop e co nhom chat toan che gieu ban Lan, tui no dang anh ban ay len moi ngay",
    "Xin hỏi cách cài đặt kiểm soát của phụ huynh trên điện thoại cho con 9 tuổi.",
    "Có trang đăng tin tuyển lao động tuổi 15 đi làm xa, việc nhẹ lương cao, bao ăn ở.",
    "Em bị dọa tung ảnh riêng tư nếu không chuyển tiền trước sáng mai, em sợ lắm không dám nói với ai.",
    "Trang giả mạo tặng kim cương miễn phí bắt các em đăng nhập rồi chiếm tài khoản game.",
]


@dataclass
class Load:
    """Scoring requests from `clients` threads over one pooled HTTP client; what came back."""

    base: str
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (report id, request id)
    errors: Counter[str] = field(default_factory=Counter)
    stop: threading.Event = field(default_factory=threading.Event)
    seconds: float = 0.0

    def run(self, ids: list[str], clients: int) -> Load:
        # Idle connections expire before uvicorn's 5 s keep-alive timeout closes them, so the
        # client never sends on a connection the server is closing at the same moment.
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2)
        started = time.perf_counter()
        with httpx.Client(base_url=self.base, headers={"X-API-Key": API_KEY}, limits=limits, timeout=60) as client:
            workers = [
                threading.Thread(target=self._send, args=(client, ids[k::clients]), name=f"load-{k}")
                for k in range(clients)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        self.seconds = time.perf_counter() - started
        return self

    def _send(self, client: httpx.Client, ids: list[str]) -> None:
        for number, report_id in enumerate(ids):
            if self.stop.is_set():
                return
            try:
                response = client.post("/score", json={"id": report_id, "text": TEXTS[number % len(TEXTS)]})
            except httpx.HTTPError as error:
                self.errors[type(error).__name__] += 1
                continue
            if response.status_code == 200 and response.json()["id"] == report_id:
                self.acknowledged.append((report_id, response.headers["x-request-id"]))
            else:
                self.errors[f"HTTP {response.status_code}"] += 1


@pytest.fixture
def server(model_dir: Path, tmp_path: Path) -> Iterator[Server]:
    server = Server(model_dir, tmp_path / "var", tmp_path / "serve.log", api_keys=API_KEY)
    (tmp_path / "var").mkdir()
    yield server.start()
    server.stop()


def recorded(server: Server) -> dict[str, str]:
    """Report id -> request id of every audit row (ids are unique in these tests)."""
    return dict(server.query("SELECT report_id, request_id FROM scored_reports"))


def test_ten_thousand_requests_from_a_hundred_clients_all_answered_and_recorded(server: Server) -> None:
    load = Load(server.base).run([f"load-{n:05d}" for n in range(TOTAL)], CLIENTS)
    print(f"\n{TOTAL} requests, {CLIENTS} clients: {len(load.acknowledged)} x 200 in {load.seconds:.1f} s "
          f"({TOTAL / load.seconds:.0f} req/s), errors {dict(load.errors)}")
    assert not load.errors
    assert len(load.acknowledged) == TOTAL
    rows = server.query("SELECT COUNT(*) FROM scored_reports")[0][0]
    assert rows == len(load.acknowledged)
    assert recorded(server) == dict(load.acknowledged)
    assert server.query("PRAGMA integrity_check") == [("ok",)]


def test_kill_9_under_load_loses_no_acknowledged_request(server: Server) -> None:
    load = Load(server.base)
    sender = threading.Thread(target=load.run, args=([f"crash-{n:05d}" for n in range(TOTAL)], CLIENTS))
    sender.start()
    deadline = time.monotonic() + 300
    while len(load.acknowledged) < CRASH_AFTER and sender.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()
    load.stop.set()
    sender.join(timeout=120)
    assert not sender.is_alive()
    acknowledged = dict(load.acknowledged)
    assert len(acknowledged) >= CRASH_AFTER, "the load ended before the crash"

    server.start()  # same port, same database: recovery from the WAL happens here
    rows = recorded(server)
    print(f"\nkill -9 after {len(acknowledged)} acknowledged: {len(rows)} audit rows "
          f"({len(rows) - len(acknowledged)} committed but unanswered), client errors {dict(load.errors)}")
    assert {report_id: rows.get(report_id) for report_id in acknowledged} == acknowledged
    assert server.query("PRAGMA integrity_check") == [("ok",)]
    with httpx.Client(base_url=server.base, headers={"X-API-Key": API_KEY}, timeout=30) as client:
        assert client.post("/score", json={"id": "after-restart", "text": TEXTS[0]}).status_code == 200
    assert recorded(server)["after-restart"]
