"""Start the whole platform on this machine: moto (DynamoDB, S3, KMS, SQS), api, web, admin,
a Celery worker and beat, with demo users and data. Ctrl-C stops everything it started.

Run through `make run`. Local data lives in .local/: identity in SQLite, and the moto server's
DynamoDB items and S3 objects saved to .local/state every minute and on Ctrl-C, then loaded
on the next start. `make reset` deletes .local/.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = Path(os.environ.get("CDD_LOCAL_DIR") or ROOT / ".local")
PY = sys.executable
SAVE_EVERY_SECONDS = 60
# A crashed service (worker, beat, api, web, admin) is started again, unless it keeps crashing.
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 120


def local_env(base_port: int, local_dir: Path = LOCAL, prefix: str = "local") -> dict[str, str]:
    """The environment of every local process (also used by the integration tests)."""
    local_dir.mkdir(parents=True, exist_ok=True)
    secret_file = local_dir / "secret_key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(50))
        secret_file.chmod(0o600)
    # Inherited settings of another environment (a shell with AWS variables, the test run) must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDD_", "DJANGO_", "AWS_", "CELERY_"))}
    env.update({
        "CDD_ENV": "local",
        "CDD_LOCAL_DIR": str(local_dir),
        "DJANGO_SETTINGS_MODULE": "cdd.settings.base",
        "DJANGO_SECRET_KEY_FILE": str(secret_file),
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{base_port}",
        "CDD_LOCAL_PORT": str(base_port),
        # Links between the services (the admin's case links open the web UI): web and admin ports follow moto's.
        "CDD_WEB_URL": f"http://127.0.0.1:{base_port + 2}",
        "CDD_ADMIN_URL": f"http://127.0.0.1:{base_port + 3}",
        # Identity in SQLite beside the local data, whatever DATABASE_URL the shell has.
        "DATABASE_URL": f"sqlite:///{local_dir / 'identity.sqlite3'}",
        "AWS_REGION": "eu-west-1",
        # The moto server accepts any credentials; these only let botocore sign requests.
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "CDD_TABLE_PREFIX": prefix,
        "CDD_DOCUMENTS_BUCKET": f"{prefix}-cdd-documents",
        "CDD_LISTS_BUCKET": f"{prefix}-cdd-lists",
        "CDD_AUDIT_BUCKET": f"{prefix}-cdd-audit",
        "CDD_EXPORTS_BUCKET": f"{prefix}-cdd-exports",
        "CDD_KMS_KEY_ID": f"alias/cdd-{prefix}",
        "CDD_QUEUE_PREFIX": f"{prefix}-",
        "CDD_SQS_WAIT_SECONDS": "1",
        # As in AWS: screen against the list versions loaded into the stack (lists_load), not the bundle.
        "CDD_SCREENING_LIST_SOURCE": "active",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def moto_command(port: int) -> list[str]:
    """moto with DynamoDB requests serialised and S3 version ids kept across restarts."""
    return [PY, str(ROOT / "scripts" / "moto_server.py"), "--host", "127.0.0.1", "--port", str(port)]


def service_commands(ports: dict[str, int], workers: int = 2, concurrency: int = 2) -> dict[str, list[str]]:
    """The command of each platform process, as `make run` and the integration tier start them."""
    commands = {
        service: [PY, "-m", "gunicorn", "cdd.wsgi:application", "--config", str(ROOT / "docker" / "gunicorn.conf.py"),
                  "--bind", f"127.0.0.1:{ports[service]}", "--workers", str(workers), "--threads", "4",
                  "--access-logfile", "-", "--timeout", "60"]
        for service in ("api", "web", "admin")
    }
    # Two workers, as two ECS worker tasks would split the queues: the due-diligence work (screening, cases,
    # documents) never waits behind a burst of domain events (the MI's counts, webhook deliveries).
    commands["worker"] = [PY, "-m", "celery", "-A", "cdd", "worker", "-Q", "default,screening,documents",
                          "--concurrency", str(concurrency), "--loglevel", "INFO", "-n", "worker@%h"]
    commands["worker-events"] = [PY, "-m", "celery", "-A", "cdd", "worker", "-Q", "events", "--concurrency", "1",
                                 "--loglevel", "INFO", "-n", "events@%h"]
    return commands


def service_of(name: str) -> str:
    """The CDD_SERVICE of a local process (both workers are the worker service)."""
    return "worker" if name.startswith("worker") else name


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"Nothing answers on 127.0.0.1:{port} after {timeout:.0f}s; see the log above.")


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"`manage.py {' '.join(args)}` failed (exit {result.returncode}); see above.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("CDD_LOCAL_PORT", "4566")),
                        help="moto server port; api, web and admin use the next three (default 4566).")
    parser.add_argument("--no-demo-data", action="store_true", help="Create demo users and key, but no demo records.")
    parser.add_argument("--local-dir", type=Path, default=LOCAL,
                        help="where local data and logs live (default .local/, or CDD_LOCAL_DIR)")
    args = parser.parse_args()
    local_dir: Path = args.local_dir.resolve()
    shown = os.path.relpath(local_dir, ROOT) if local_dir.is_relative_to(ROOT) else str(local_dir)
    ports = {"moto": args.port, "api": args.port + 1, "web": args.port + 2, "admin": args.port + 3}
    busy = [f"{name} ({port})" for name, port in ports.items() if not port_free(port)]
    if busy:
        raise SystemExit(f"Ports already in use: {', '.join(busy)}. Stop what uses them, or pass --port N.")

    env = local_env(args.port, local_dir=local_dir)
    children: dict[str, subprocess.Popen[bytes]] = {}
    commands: dict[str, tuple[list[str], dict[str, str]]] = {}
    restarts: dict[str, list[float]] = {}

    def start(name: str, cmd: list[str], extra: dict[str, str] | None = None) -> None:
        child_env = dict(env, **(extra or {}))
        commands[name] = (cmd, child_env)
        log = open(local_dir / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the child's lifetime
        children[name] = subprocess.Popen(cmd, cwd=ROOT, env=child_env, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True)
        print(f"  started {name:<7} (log: {shown}/{name}.log)", flush=True)

    def stop(*_: object) -> None:
        print("\nStopping: saving local state…", flush=True)
        subprocess.run([PY, "manage.py", "local_state", "save"], cwd=ROOT, env=env, check=False)
        for child in reversed(children.values()):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        print(f"Everything stopped. Data is kept in {shown}/ (make reset wipes .local/).")
        raise SystemExit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    print("Starting the local AWS stack (moto: DynamoDB, S3, KMS, SQS)…")
    start("moto", moto_command(args.port))
    wait_for_port(args.port)
    print("Preparing identity database, AWS resources, tables and demo data…")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "aws_bootstrap")
    manage(env, "local_state", "load")
    # The bundled sanctions lists seed a list that has no version; one loaded by hand stays active.
    manage(env, "lists_load", "--from-snapshot", "--only-missing")
    manage(env, "cases_due_backfill")  # saved local state from before due dates (a no-op after)
    manage(env, "collectstatic", "--noinput", "-v", "0")
    demo = ["demo_setup"] + (["--no-data"] if args.no_demo_data else [])
    manage(env, *demo)

    for name, command in service_commands(ports).items():
        start(name, command, {"CDD_SERVICE": service_of(name)})
    start("beat", [PY, "-m", "celery", "-A", "cdd", "beat", "--loglevel", "INFO",
                   "--schedule", str(local_dir / "celerybeat-schedule")], {"CDD_SERVICE": "beat"})
    for service in ("api", "web", "admin"):
        wait_for_port(ports[service])

    print(f"""
Everything is up:
  API      http://127.0.0.1:{ports['api']}/api/v1/   (Swagger UI: http://127.0.0.1:{ports['api']}/api/docs/)
  Web      http://127.0.0.1:{ports['web']}/          (reviewers, auditors)
  Admin    http://127.0.0.1:{ports['admin']}/admin/    (analysts, platform admins)
  AWS      http://127.0.0.1:{ports['moto']}          (moto server)
  Health   /healthz and /readyz on each of api, web and admin
Demo users and passwords: {shown}/demo-users.txt. Logs: {shown}/*.log.
Press Ctrl-C to stop everything.""", flush=True)

    last_save = time.monotonic()
    while True:
        time.sleep(1)
        for name, child in list(children.items()):
            if child.poll() is None:
                continue
            if name == "moto":
                # moto holds the local AWS data in memory: what was not saved yet is gone with it.
                print(f"The moto server exited (exit {child.returncode}); see {shown}/moto.log. Stopping the stack; "
                      "data saved up to the last minute is loaded again by the next `make run`.", flush=True)
                stop()
            recent = [t for t in restarts.get(name, []) if time.monotonic() - t < RESTART_WINDOW_SECONDS]
            if len(recent) >= MAX_RESTARTS:
                print(f"{name} exited {len(recent)} times in {RESTART_WINDOW_SECONDS}s (last exit "
                      f"{child.returncode}); see {shown}/{name}.log. Left stopped; the rest keeps running. "
                      "Fix the cause and restart `make run`.", flush=True)
                del children[name]
                continue
            restarts[name] = [*recent, time.monotonic()]
            print(f"{name} exited unexpectedly (exit {child.returncode}); restarting it (see {shown}/{name}.log).",
                  flush=True)
            start(name, *commands[name])
        if time.monotonic() - last_save > SAVE_EVERY_SECONDS:
            subprocess.run([PY, "manage.py", "local_state", "save"], cwd=ROOT, env=env, check=False,
                           stdout=subprocess.DEVNULL)
            last_save = time.monotonic()


if __name__ == "__main__":
    sys.exit(main())
