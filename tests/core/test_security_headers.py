"""What every answer tells a browser and a scanner: CSP, methods, the admin's audience, the server's name."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _csp(response: Any) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy header"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


# --- Content-Security-Policy ------------------------------------------------------------


@pytest.mark.parametrize(("urlconf", "path"), [("cdd.urls.web", "/login/"), ("cdd.urls.admin", "/admin/login/")])
def test_pages_carry_a_csp_without_inline_scripts_and_their_styles_carry_its_nonce(
        aws: None, settings: Any, urlconf: str, path: str) -> None:
    settings.ROOT_URLCONF = urlconf
    response = Client().get(path)
    assert response.status_code == 200
    csp = _csp(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    nonces = [v for v in csp["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) <= 1  # a page that uses no nonce gets none in its policy
    html = response.content.decode()
    for tag in re.findall(r"<(?:style|script)\b[^>]*>", html):
        if "src=" not in tag:
            assert nonces and f'nonce="{nonces[0][len("nonce-") + 1:-1]}"' in tag, tag


def test_the_web_pages_styles_are_the_vendored_sheet_and_inline_ones_have_the_nonce(
        aws: None, settings: Any, analyst: Any) -> None:
    settings.ROOT_URLCONF = "cdd.urls.web"
    login = Client().get("/login/").content.decode()
    assert '<link rel="stylesheet" href="/static/core/cdd.css">' in login
    browser = Client()
    browser.force_login(analyst)
    response = browser.get("/search/")  # a page with styles of its own
    nonce = next(v for v in _csp(response)["style-src"] if v.startswith("'nonce-"))[len("'nonce-"):-1]
    assert f'<style nonce="{nonce}">' in response.content.decode()


def test_api_answers_and_the_swagger_ui_carry_the_csp(aws: None, settings: Any) -> None:
    settings.ROOT_URLCONF = "cdd.urls.api"
    assert _csp(Client().get("/api/v1/customers"))["default-src"] == ["'none'"]
    docs = Client().get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "<script>" not in html  # the UI's set-up script is a file of its own, not inline
    nonce = next(v for v in _csp(docs)["style-src"] if v.startswith("'nonce-"))[len("'nonce-"):-1]
    assert f'<style nonce="{nonce}">' in html


# --- methods ------------------------------------------------------------------------------


@pytest.mark.parametrize(("urlconf", "path"), [
    ("cdd.urls.api", "/api/v1/customers"), ("cdd.urls.api", "/api/schema/"), ("cdd.urls.web", "/login/"),
    ("cdd.urls.web", "/"), ("cdd.urls.admin", "/admin/login/"), ("cdd.urls.admin", "/healthz"),
])
def test_trace_is_not_allowed_anywhere(aws: None, settings: Any, urlconf: str, path: str) -> None:
    settings.ROOT_URLCONF = urlconf
    response = Client(enforce_csrf_checks=True).generic("TRACE", path)
    assert response.status_code == 405
    assert "TRACE" not in response["Allow"]
    assert response.json()["code"] == "method_not_allowed"


# --- who may use the Django admin ------------------------------------------------------


@pytest.fixture
def admin_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "cdd.urls.admin"


def test_a_reviewer_cannot_sign_in_to_the_admin(aws: None, admin_urls: None, reviewer: Any) -> None:
    client = Client()
    response = client.post("/admin/login/?next=/admin/",
                           {"username": reviewer.username, "password": "a-long-test-password", "next": "/admin/"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This admin is for analyst, auditor, platform_admin, senior_reviewer." in page
    assert "Reviewers work in the reviewer web app" in page
    assert client.get("/admin/").status_code == 302


def test_a_reviewer_session_does_not_open_the_admin(aws: None, admin_urls: None, reviewer: Any) -> None:
    client = Client()
    client.force_login(reviewer)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_bank_can_close_the_admin_to_auditors(aws: None, admin_urls: None, settings: Any, auditor: Any) -> None:
    client = Client()
    client.force_login(auditor)
    assert client.get("/admin/").status_code == 200
    settings.CDD_ADMIN_ROLES = ["analyst", "platform_admin"]
    assert client.get("/admin/").status_code == 302
    response = Client().post("/admin/login/?next=/admin/",
                             {"username": auditor.username, "password": "a-long-test-password", "next": "/admin/"})
    assert "This admin is for analyst, platform_admin." in response.content.decode()


@pytest.mark.parametrize("persona", ["analyst", "platform_admin", "senior_reviewer"])
def test_analysts_and_platform_admins_use_the_admin(aws: None, admin_urls: None, persona: str,
                                                    request: pytest.FixtureRequest) -> None:
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {
        "username": request.getfixturevalue(persona).username, "password": "a-long-test-password",
        "next": "/admin/"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


# --- the schema: public, and describing only endpoints that need a key or a session ----------


def test_the_schema_is_public_but_every_operation_in_it_needs_a_key_or_a_session(aws: None, settings: Any) -> None:
    settings.ROOT_URLCONF = "cdd.urls.api"
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "servers" not in schema  # no internal host names
    open_operations = [
        f"{method.upper()} {path}" for path, item in schema["paths"].items() for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete") and not op.get("security", schema.get("security"))
    ]
    assert open_operations == ["GET /api/v1/"]  # the front door: names, links, how to authenticate; no data
    assert set(schema["components"]["securitySchemes"]) >= {"ApiKey"}
    keyed = [op for item in schema["paths"].values() for op in item.values()
             if isinstance(op, dict) and "401" in op.get("responses", {})]
    assert keyed and all("429" in op["responses"] for op in keyed)  # the lockout answer is documented


# --- gunicorn ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_gunicorn_names_no_server_and_logs_the_servers_request_id(tmp_path: Path) -> None:
    (tmp_path / "tinyapp.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain'), ('X-Request-Id', 'server-made-id')])\n"
        "    return [b'ok']\n"
    )
    port = _free_port()
    env = {**os.environ, "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "1", "CDD_SERVICE": "api",
           "GUNICORN_WORKER_TMP_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "docker" / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "--chdir", str(tmp_path), "tinyapp:app"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/x", headers={"X-Request-Id": "client-sent-id"})
                response = conn.getresponse()
                response.read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert response.status == 200
        assert response.getheader("Server") is None
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    access = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"access"' in line]
    assert access, out
    assert access[-1]["request_id"] == "server-made-id"
    assert access[-1]["client_request_id"] == "client-sent-id"
