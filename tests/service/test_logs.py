"""JSON log lines."""

from __future__ import annotations

import json
import logging

from service.logs import JsonFormatter, configure_logging


def test_a_record_becomes_one_json_line_with_its_fields():
    record = logging.LogRecord("service.access", logging.INFO, __file__, 1, "request %s", ("done",), None)
    record.fields = {"status": 200, "endpoint": "/score"}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line) | {"time": None} == {
        "time": None, "level": "INFO", "logger": "service.access", "message": "request done",
        "status": 200, "endpoint": "/score",
    }


def test_configure_logging_installs_one_json_handler(monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    configure_logging("warning")
    [handler] = root.handlers
    assert isinstance(handler.formatter, JsonFormatter)
    assert root.level == logging.WARNING
    assert logging.getLogger("uvicorn.access").propagate is False
    logging.getLogger("uvicorn.access").propagate = True
