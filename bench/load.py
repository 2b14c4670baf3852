"""HTTP load on a real `triage serve`: cold start, latency under 1-100 concurrent clients, memory.

The service runs as a subprocess on 127.0.0.1 only (no API key, so it refuses to bind
elsewhere), with its state and working directory in a temporary directory, so no `.env` of
the checkout turns authentication on. Two kinds of clients, each level for a fixed duration
and every request with a timeout: closed-loop clients send the next request as soon as the
previous answer arrives (the most the machine can serve), and paced clients wait a random
think time between requests, like locust's `between(0.5, 1.5)` users (a routing system's
callers, each with other work between reports). Only status codes are ever printed,
never a request or response body, because those carry report text.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import httpx
import numpy as np

HOST = "127.0.0.1"
READY_TIMEOUT_S = 120.0
REQUEST_TIMEOUT_S = 30.0
WARMUP_REQUESTS = 20
THINK_S = (0.5, 1.5)  # paced clients wait uniformly this long between requests
# Settings that would change what is measured (keys turn on auth, a URI replaces the model).
CLEARED_ENV = (
    "TRIAGE_API_KEYS",
    "TRIAGE_API_KEY_FILE",
    "TRIAGE_ADMIN_KEYS",
    "TRIAGE_MODEL_URI",
    "TRIAGE_HOST",
    "TRIAGE_PORT",
    "TRIAGE_DATABASE_URL",
    "MLFLOW_TRACKING_URI",
)


@dataclass
class LevelResult:
    """One concurrency level; latencies are client-side, `server_*` what the service reported."""

    clients: int
    seconds: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    server_p50_ms: float
    server_p99_ms: float
    status_counts: dict[str, int] = field(default_factory=dict)
    think_s: tuple[float, float] | None = None  # None: closed loop

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 1.0


@dataclass
class ServiceResult:
    """`ceiling` is GET /health at the highest level: the most this client and server stack can do."""

    cold_start_s: float
    rss_mb: float
    peak_rss_mb: float | None
    levels: list[LevelResult]
    ceiling: LevelResult | None = None


def free_port() -> int:
    """A port the kernel says is free on loopback now (the server binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def triage_command() -> list[str]:
    """The `triage` console script of the running interpreter's environment."""
    script = Path(sys.executable).with_name("triage")
    if not script.exists():
        raise FileNotFoundError(f"{script} not found: install the project (`make setup`)")
    return [str(script)]


def service_env(model_dir: Path, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env["TRIAGE_DATA_DIR"] = str(data_dir)
    env["TRIAGE_MODEL_DIR"] = str(model_dir.resolve())
    return env


def rss_mb(pid: int) -> tuple[float, float | None]:
    """Resident memory of the process and its children now, and the process's own peak (VmHWM)."""
    try:
        import psutil
    except ImportError:
        return _proc_status_mb(pid, "VmRSS") or 0.0, _proc_status_mb(pid, "VmHWM")
    process = psutil.Process(pid)
    total = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
    return total / 2**20, _proc_status_mb(pid, "VmHWM")


def _proc_status_mb(pid: int, field_name: str) -> float | None:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return None


class Service:
    """`triage serve` in a subprocess: started in `__enter__`, stopped (by its pid) in `__exit__`."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.cold_start_s = float("nan")
        self._tmp = tempfile.TemporaryDirectory(prefix="triage-bench-")
        self._log = Path(self._tmp.name) / "service.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        command = [*triage_command(), "serve", "--host", HOST, "--port", str(self.port), "--workers", "1"]
        env = service_env(self.model_dir, Path(self._tmp.name) / "state")
        with self._log.open("wb") as log:
            started = time.perf_counter()
            self.process = subprocess.Popen(
                command, cwd=self._tmp.name, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            self.cold_start_s = self._wait_ready(started)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self, started: float) -> float:
        """Seconds from spawn to the first 200 from /ready; raises if it dies or never gets there."""
        assert self.process is not None
        with httpx.Client(base_url=self.url, timeout=1.0) as client:
            while time.perf_counter() - started < READY_TIMEOUT_S:
                if self.process.poll() is not None:
                    raise RuntimeError(f"triage serve exited with {self.process.returncode}:\n{self._log_tail()}")
                try:
                    if client.get("/ready").status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.01)
        raise TimeoutError(f"triage serve not ready after {READY_TIMEOUT_S:.0f} s:\n{self._log_tail()}")

    def _log_tail(self, lines: int = 20) -> str:
        """The end of the service log: startup messages only, the service never logs report text."""
        return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])

    def __exit__(self, *_: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._tmp.cleanup()


async def _run_level(
    url: str,
    texts: Sequence[str] | None,
    clients: int,
    seconds: float,
    think_s: tuple[float, float] | None = None,
) -> LevelResult:
    """Clients for `seconds`: POST /score with `texts`, or GET /health when None.

    Closed loop without `think_s`; with it, each client waits a uniform random time in that
    range after every answer (and once before its first request, so they do not start in step).

    Each client is built and has its connection open (one untimed GET /health) before the
    clock starts: building 100 httpx clients costs seconds of CPU that is not the service's.
    """
    latencies: list[int] = []
    server_ms: list[float] = []
    statuses: dict[str, int] = {}
    numbers = itertools.count()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    pool = [httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S, limits=limits) for _ in range(clients)]

    rng = random.Random(clients)

    async def client_loop(client: httpx.AsyncClient, deadline: float) -> None:
        if think_s:
            await asyncio.sleep(rng.uniform(0, think_s[1]))
        while time.perf_counter() < deadline:
            n = next(numbers)
            started = time.perf_counter_ns()
            try:
                if texts is None:
                    response = await client.get("/health")
                else:
                    body = {"id": f"bench-{clients}-{n}", "text": texts[n % len(texts)]}
                    response = await client.post("/score", json=body)
                status = str(response.status_code)
                if texts is not None and response.status_code == 200:
                    server_ms.append(float(response.json()["latency_ms"]))
            except httpx.HTTPError as error:
                status = type(error).__name__
            latencies.append(time.perf_counter_ns() - started)
            statuses[status] = statuses.get(status, 0) + 1
            if think_s:
                await asyncio.sleep(rng.uniform(*think_s))

    try:
        await asyncio.gather(*(client.get("/health") for client in pool))
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client, started + seconds) for client in pool))
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(client.aclose() for client in pool))
    ms = np.array(latencies, dtype=float) / 1e6
    server = np.array(server_ms or [np.nan])
    return LevelResult(
        clients=clients,
        seconds=elapsed,
        requests=len(latencies),
        errors=len(latencies) - statuses.get("200", 0),
        p50_ms=float(np.percentile(ms, 50)) if len(ms) else float("nan"),
        p99_ms=float(np.percentile(ms, 99)) if len(ms) else float("nan"),
        server_p50_ms=float(np.percentile(server, 50)),
        server_p99_ms=float(np.percentile(server, 99)),
        status_counts=statuses,
        think_s=think_s,
    )


def _warm_up(url: str, texts: Sequence[str]) -> None:
    """A few sequential requests so the first level does not pay for first-call costs."""
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        for n in range(WARMUP_REQUESTS):
            client.post("/score", json={"id": f"bench-warmup-{n}", "text": texts[n % len(texts)]})


def measure_service(
    model_dir: Path,
    texts: Sequence[str],
    levels: Sequence[int] = (1, 10, 100),
    seconds: float = 10.0,
) -> ServiceResult:
    """Start the service, load it at each level in turn, then read its memory and stop it."""
    results = []
    with Service(model_dir) as service:
        assert service.process is not None
        print(f"service ready in {service.cold_start_s:.2f} s on {service.url}")
        _warm_up(service.url, texts)
        for think_s in (None, THINK_S):
            for clients in levels:
                kind = f"paced ({think_s[0]}-{think_s[1]} s think time)" if think_s else "closed-loop"
                print(f"HTTP load: {clients} {kind} client(s) for {seconds:.0f} s ...", flush=True)
                level = asyncio.run(_run_level(service.url, texts, clients, seconds, think_s))
                print(
                    f"  {level.requests} requests, {level.rps:.0f} req/s, p50 {level.p50_ms:.1f} ms, "
                    f"p99 {level.p99_ms:.1f} ms, errors {level.errors} {level.status_counts}"
                )
                results.append(level)
        current, peak = rss_mb(service.process.pid)
        print(f"harness ceiling: GET /health with {max(levels)} clients for {seconds:.0f} s ...", flush=True)
        ceiling = asyncio.run(_run_level(service.url, None, max(levels), seconds))
        return ServiceResult(service.cold_start_s, current, peak, results, ceiling)
