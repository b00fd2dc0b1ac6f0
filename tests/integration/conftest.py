"""The integration tier: a real moto server over HTTP, gunicorn for api/web/admin and a Celery
worker consuming SQS, started once per run exactly as `make run` starts them."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def _load_local_stack() -> Any:
    spec = importlib.util.spec_from_file_location("local_stack", ROOT / "scripts" / "local_stack.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_base_port() -> int:
    for base in range(20000, 60000, 10):
        ok = True
        for port in range(base, base + 4):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free ports")


@dataclass
class Stack:
    env: dict[str, str]
    urls: dict[str, str]
    api_key: str
    passwords: dict[str, str]
    local_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    starters: dict[str, Any] = field(default_factory=dict)

    def kill(self, name: str) -> None:
        """SIGKILL a process and its children (a crashed container), as abrupt as it gets."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def restart(self, name: str) -> None:
        self.starters[name]()

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=300, check=False)

    def log(self, name: str) -> str:
        return (self.local_dir / f"{name}.log").read_text(errors="replace")


def _wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException as exc:
            last = exc
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer: {last}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    local_stack = _load_local_stack()
    base = _free_base_port()
    local_dir = tmp_path_factory.mktemp("stack")
    env = local_stack.local_env(base, local_dir=local_dir, prefix=f"it{os.getpid()}")
    env["CDD_SQS_WAIT_SECONDS"] = "1"
    # Beat re-sends outbox items left pending after 10 s (a killed worker's), checking every 5 s.
    env["CDD_OUTBOX_REQUEUE_SECONDS"] = "10"
    env["CDD_OUTBOX_SWEEP_SECONDS"] = "5"
    # Webhooks: four attempts a second or two apart, then the dead letter (tests/integration/test_webhooks.py).
    env.update(CDD_WEBHOOKS_MAX_ATTEMPTS="4", CDD_WEBHOOKS_BACKOFF_BASE_SECONDS="1",
               CDD_WEBHOOKS_BACKOFF_MAX_SECONDS="2", CDD_WEBHOOKS_SWEEP_SECONDS="5",
               CDD_WEBHOOKS_REQUEUE_SECONDS="10")
    env["DATABASE_URL"] = f"sqlite:///{local_dir / 'identity.sqlite3'}"
    env.pop("CDD_TEST_RUN", None)
    ports = {"moto": base, "api": base + 1, "web": base + 2, "admin": base + 3}
    processes: dict[str, subprocess.Popen[bytes]] = {}

    starters: dict[str, Any] = {}

    def start(name: str, cmd: list[str], extra: dict[str, str] | None = None) -> None:
        log = open(local_dir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        processes[name] = subprocess.Popen(cmd, cwd=ROOT, env=dict(env, **(extra or {})), stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True)
        starters[name] = lambda: start(name, cmd, extra)

    try:
        start("moto", local_stack.moto_command(ports["moto"]))
        _wait_http(f"http://127.0.0.1:{ports['moto']}/moto-api/")
        stack = Stack(env=env, urls={k: f"http://127.0.0.1:{p}" for k, p in ports.items()}, api_key="",
                      passwords={}, local_dir=local_dir, processes=processes, starters=starters)
        for args in (("migrate", "--noinput", "-v", "0"), ("aws_bootstrap",), ("collectstatic", "--noinput", "-v", "0"),
                     ("lists_load", "--from-snapshot", "--only-missing"), ("demo_setup", "--no-data")):
            result = stack.manage(*args)
            assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        stack.api_key = (local_dir / "demo-api-key.txt").read_text().strip()
        for line in (local_dir / "demo-users.txt").read_text().splitlines():
            username, password, *_ = line.split()
            stack.passwords[username] = password
        for name, command in local_stack.service_commands(ports, workers=1, concurrency=1).items():
            start(name, command, {"CDD_SERVICE": local_stack.service_of(name)})
        start("beat", [PY, "-m", "celery", "-A", "cdd", "beat", "--loglevel", "INFO",
                       "--schedule", str(local_dir / "celerybeat-schedule")], {"CDD_SERVICE": "beat"})
        for service in ("api", "web", "admin"):
            _wait_http(f"{stack.urls[service]}/healthz")
        yield stack
    finally:
        for process in processes.values():
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CDD_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"Chromium not found at {executable}; run scripts/test_prerequisites.sh (make test runs it).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
