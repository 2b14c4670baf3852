"""API keys: constant-time matching, the key file, and open (keyless) loopback mode."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.auth import KeyRing, is_loopback


def test_keyring_matches_only_configured_keys():
    keys = KeyRing({"alpha", "beta"}, {"root"})
    assert keys.is_api_key("alpha") and keys.is_api_key("beta")
    assert not keys.is_api_key("alph") and not keys.is_api_key(None) and not keys.is_api_key("root")
    assert keys.is_admin_key("root") and not keys.is_admin_key("alpha")
    assert not keys.open and keys.has_admin
    assert KeyRing(set(), set()).open


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.8.0.1", True),
     ("0.0.0.0", False), ("10.0.0.5", False), ("testclient", False), (None, False)],
)
def test_is_loopback(host, expected):
    assert is_loopback(host) is expected


def test_keys_from_the_key_file_work(make_app, tmp_path, report):
    key_file = tmp_path / "keys.txt"
    key_file.write_text("# scoring keys\nfile-key-1\n\nfile-key-2\n", encoding="utf-8")
    app = make_app(api_keys="", api_key_file=key_file)
    with TestClient(app) as client:
        assert client.post("/score", json=report(0), headers={"X-API-Key": "file-key-2"}).status_code == 200
        assert client.post("/score", json=report(0), headers={"X-API-Key": "# scoring keys"}).status_code == 401


@pytest.mark.parametrize(("client_host", "status"), [("127.0.0.1", 200), ("192.0.2.10", 403)])
def test_open_mode_serves_loopback_clients_only(make_app, report, client_host, status):
    app = make_app(api_keys="")
    with TestClient(app, client=(client_host, 40000)) as client:
        assert client.post("/score", json=report(0)).status_code == status
        assert client.get("/health").status_code == 200


def test_open_mode_is_announced(make_app, caplog):
    make_app(api_keys="")
    assert any("authentication is OFF" in record.getMessage() for record in caplog.records)


def test_keys_never_reach_the_logs(make_app, report, caplog):
    app = make_app()
    with TestClient(app) as client:
        client.post("/score", json=report(0), headers={"X-API-Key": "test-scoring-key"})
        client.post("/score", json=report(0), headers={"X-API-Key": "a-guessed-key"})
        client.post("/admin/reload", headers={"X-API-Key": "test-admin-key"})
    logged = " ".join(str(vars(record)) for record in caplog.records)
    for key in ("test-scoring-key", "a-guessed-key", "test-admin-key"):
        assert key not in logged
