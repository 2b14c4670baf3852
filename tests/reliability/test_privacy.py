"""Report text leaks nowhere: not to logs, metrics, audit columns, nor stored explanations.

tests/service/test_app.py already checks that in-process log records never hold a report;
here a unique marker is sent on every path (scored, batched, refused) and then searched for
in logs, /metrics, every column of every table, and the explanations; also on a real
`triage serve` at DEBUG, in its stdout and stderr.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, inspect, text

from .conftest import ADMIN_KEY, API_KEY
from .server import Server

# Ordinary syllables the model knows, so an explanation can quote them: a child's name.
CHILD = "Bé Hoàng Thị Mai Sương học lớp 3 trường Tiểu học Hoa Sen ở xóm Bãi Sậy"
ClientOf = Callable[..., tuple[FastAPI, TestClient]]


@pytest.fixture
def marker() -> str:
    """A string no part of the service could produce by itself."""
    return f"mk{uuid.uuid4().hex}"


def report_text(marker: str) -> str:
    return f"Tài khoản {marker} nhắn tin cho con tôi 11 tuổi, đòi cháu gửi ảnh riêng tư và hẹn gặp."


def send_everywhere(client: TestClient | httpx.Client, marker: str) -> list[dict[str, Any]]:
    """The marker on every path a report can take; returns the scored results."""
    text = report_text(marker)
    scored = client.post("/score", json={"id": "p-1", "text": text, "metadata": {"victim_age": 11}})
    batch = client.post("/score/batch", json={"reports": [{"id": "p-2", "text": text}, {"id": "p-3", "text": CHILD}]})
    assert scored.status_code == batch.status_code == 200
    refused = [
        client.post("/score", json={"id": "p-4", "text": text * 400}),
        client.post("/score", json={"id": "p-5", "text": text, "unknown": text}),
        client.post("/score", json={"id": "p-6", "text": text, "metadata": {"victim_age": text}}),
        client.post("/score/batch", json={"reports": [{"id": "p-7", "text": text}] * 300}),
        client.post("/score", content=b'{"id": "p-8", "text": "' + text.encode() + b'"',
                    headers={"content-type": "application/json"}),
        client.post("/score", json={"id": "p-9", "text": text}, headers={"X-API-Key": "wrong"}),
    ]
    assert [response.status_code for response in refused] == [422, 422, 422, 422, 422, 401]
    for response in refused:
        assert marker not in response.text
    return [scored.json(), *batch.json()["results"]]


def column_values(engine: Engine) -> Iterator[tuple[str, str]]:
    """("table.column", value as text) for every cell; JSON cells also decoded, since
    SQLAlchemy stores them with non-ASCII letters escaped."""
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            result = connection.execute(text(f'SELECT * FROM "{table}"'))
            for row in result:
                for column, value in zip(result.keys(), row):
                    if value is None:
                        continue
                    yield f"{table}.{column}", str(value)
                    try:
                        decoded = json.loads(value)
                    except (TypeError, ValueError):
                        continue
                    yield f"{table}.{column}", json.dumps(decoded, ensure_ascii=False)


def columns_holding(engine: Engine, needle: str) -> set[str]:
    return {column for column, value in column_values(engine) if needle in value}


def explanations(results: list[dict[str, Any]]) -> str:
    return json.dumps([result["explanation"] for result in results], ensure_ascii=False)


def quoted_words(results: list[dict[str, Any]]) -> set[str]:
    """Explanation terms with Vietnamese letters: words that can only come from the report."""
    return {term for result in results for terms in result["explanation"].values() for term in terms
            if not term.isascii()}


@pytest.fixture
def client_of(make_app: Callable[..., FastAPI]) -> ClientOf:
    def build(**settings: Any) -> tuple[FastAPI, TestClient]:
        app = make_app(**settings, max_text_chars=2_000)
        return app, TestClient(app, headers={"X-API-Key": API_KEY})

    return build


def test_the_marker_reaches_no_log_metric_column_or_explanation(
    client_of: ClientOf, marker: str, caplog: pytest.LogCaptureFixture
) -> None:
    app, client = client_of(store_text=False)
    with caplog.at_level(logging.DEBUG), client:
        results = send_everywhere(client, marker)
        metrics = client.get("/metrics").text
    assert caplog.records
    logged = [json.dumps(vars(record), ensure_ascii=False, default=str) for record in caplog.records]
    assert not [line for line in logged if marker in line]
    assert marker not in metrics
    assert marker not in explanations(results)
    assert columns_holding(app.state.store.engine, marker) == set()


def test_explanations_quote_the_report_so_they_are_stored_only_with_the_text(client_of: ClientOf, marker: str) -> None:
    """An explanation quotes the reporter's words (here a child's name and village)."""
    app, client = client_of(store_text=False)
    with client:
        results = send_everywhere(client, marker)
    quoted = quoted_words(results)
    assert quoted, "the model quoted no word of the reports: nothing to check"
    engine = app.state.store.engine
    assert {word: columns_holding(engine, word) for word in quoted} == {word: set() for word in quoted}
    with engine.connect() as connection:
        stored = [json.loads(value) for value in connection.execute(text("SELECT result FROM scored_reports")).scalars()]
    assert all("explanation" not in result for result in stored)


def test_with_store_text_the_marker_is_in_the_text_column_only(client_of: ClientOf, marker: str) -> None:
    app, client = client_of(store_text=True)
    with client:
        results = send_everywhere(client, marker)
    engine = app.state.store.engine
    assert columns_holding(engine, marker) == {"scored_reports.text"}
    with engine.connect() as connection:
        stored = [json.loads(value) for value in connection.execute(text("SELECT result FROM scored_reports")).scalars()]
    assert [result["explanation"] for result in stored] == [result["explanation"] for result in results]


def test_a_real_server_at_debug_prints_no_text_and_no_key(served: Server, marker: str) -> None:
    """Everything the process wrote to stdout and stderr, after every path and every key."""
    with httpx.Client(base_url=served.base, headers={"X-API-Key": API_KEY}, timeout=30) as client:
        results = send_everywhere(client, marker)
        assert client.post("/admin/reload", headers={"X-API-Key": ADMIN_KEY}).status_code == 200
        assert client.post("/admin/reload", headers={"X-API-Key": API_KEY}).status_code == 403
        assert client.get("/model", headers={"X-API-Key": "guessed-" + API_KEY}).status_code == 401
        metrics = client.get("/metrics").text
    output = served.log_text()
    assert '"endpoint": "/score"' in output, "the server logged no requests: nothing to check"
    for secret in (marker, API_KEY, ADMIN_KEY):
        assert secret not in output
    assert marker not in metrics and marker not in explanations(results)
    assert columns_holding(create_engine(f"sqlite:///{served.database}"), marker) == set()


SECURITY_MD = Path(__file__).resolve().parents[2] / "SECURITY.md"


def test_the_purges_in_security_md_work(client_of: ClientOf) -> None:
    """The documented retention SQL removes (or strips) exactly the reports before the date."""
    doc = SECURITY_MD.read_text(encoding="utf-8")
    purge = re.search(r"```sql\n(.*?)```", doc, re.DOTALL).group(1)
    strip = re.search(r"`(UPDATE scored_reports .*?;)`", doc).group(1)
    app, client = client_of(store_text=True)
    with client:
        for number in range(4):
            assert client.post("/score", json={"id": f"r-{number}", "text": CHILD}).status_code == 200
            feedback = {"id": f"r-{number}", "categories": ["privacy"], "primary": "privacy",
                        "urgency": "medium", "reviewer": "lan", "note": CHILD}
            assert client.post("/feedback", json=feedback).status_code == 201
    with app.state.store.engine.begin() as connection:
        connection.execute(text("UPDATE scored_reports SET scored_at = '2024-12-31 23:59:59.000000' WHERE seq <= 2"))
    database = app.state.store.engine.url.database
    app.state.store.close()

    with closing(sqlite3.connect(database)) as connection:
        connection.executescript(strip)
        rows = connection.execute("SELECT report_id, text, json_extract(result, '$.explanation') FROM scored_reports").fetchall()
        assert [(row[1] is None, row[2] is None) for row in rows] == [(True, True)] * 2 + [(False, False)] * 2
        connection.executescript(purge)
        assert [row[0] for row in connection.execute("SELECT report_id FROM scored_reports")] == ["r-2", "r-3"]
        assert [row[0] for row in connection.execute("SELECT report_id FROM feedback")] == ["r-2", "r-3"]
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
