"""`make run` stopped and started again: documents still download, a list loaded by hand stays
active, and a crashed worker is restarted instead of taking the stack down.

Runs scripts/local_stack.py itself (what `make run` runs) with its own ports and data folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from apps.screening.lists.snapshot import snapshot_files
from tests.documents import files
from tests.integration.conftest import ROOT, _free_base_port

pytestmark = pytest.mark.integration


class LocalStack:
    """One `make run` process, its output collected in a file."""

    def __init__(self, port: int, local_dir: Path) -> None:
        self.port, self.local_dir = port, local_dir
        self.output_path = local_dir / f"make-run-{time.monotonic_ns()}.out"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CDD_", "DJANGO_"))}
        with open(self.output_path, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "scripts" / "local_stack.py"), "--port", str(port),
                 "--local-dir", str(local_dir)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)

    @property
    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.process.poll() is None, f"make run exited:\n{self.output[-4000:]}"
            assert time.monotonic() < deadline, f"{text!r} not seen in {timeout:.0f}s:\n{self.output[-4000:]}"
            time.sleep(0.5)

    def stop(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CDD_", "DJANGO_", "AWS_"))}
        env.update(CDD_ENV="local", CDD_LOCAL_DIR=str(self.local_dir), CDD_LOCAL_PORT=str(self.port))
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300, check=False)

    def pids_of(self, *words: str) -> list[int]:
        """Processes of this stack (found by their CDD_LOCAL_DIR) whose command line has all ``words``."""
        found = []
        for proc in Path("/proc").iterdir():
            try:
                environ = (proc / "environ").read_bytes().split(b"\0")
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, ValueError):
                continue
            if f"CDD_LOCAL_DIR={self.local_dir}".encode() in environ and all(w in cmdline for w in words):
                found.append(int(proc.name))
        return found


@pytest.fixture
def local_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("make-run")


def un_without_its_last_individual() -> bytes:
    """The bundled UN list less one listed individual: a new version, as an analyst might load it."""
    xml = snapshot_files("un_sc")["consolidated.xml"].decode("utf-8")
    last = xml.rindex("<INDIVIDUAL>")
    end = xml.index("</INDIVIDUAL>", last) + len("</INDIVIDUAL>")
    return (xml[:last] + xml[end:]).encode("utf-8")


def test_a_restart_keeps_documents_downloadable_and_a_hand_loaded_list_active(local_dir: Path) -> None:
    port = _free_base_port()
    api = f"http://127.0.0.1:{port + 1}/api/v1"
    first = LocalStack(port, local_dir)
    try:
        first.wait_for("Everything is up")
        headers = {"Authorization": f"Api-Key {(local_dir / 'demo-api-key.txt').read_text().strip()}"}
        created = requests.post(f"{api}/customers", headers=headers, timeout=30, json={
            "customer_type": "individual", "legal_name": "Restart Test Person", "date_of_birth": "1979-05-06",
            "nationalities": ["FR"], "country_of_residence": "FR"})
        assert created.status_code == 201, created.text
        customer_id = created.json()["customer_id"]
        data = files.pdf(pages=2)
        uploaded = requests.post(f"{api}/customers/{customer_id}/documents/upload", headers=headers, timeout=60,
                                 data={"document_type": "passport"},
                                 files={"file": ("passport.pdf", data, "application/pdf")})
        assert uploaded.status_code == 201, uploaded.text
        document_id = uploaded.json()["document_id"]
        # The worker scans it (the local fake scanner) before it is killed: this test is about a restart.
        deadline = time.monotonic() + 120
        while requests.get(f"{api}/customers/{customer_id}/documents/{document_id}", headers=headers,
                           timeout=30).json()["status"] == "pending_scan":
            assert time.monotonic() < deadline, "the worker never scanned the upload"
            time.sleep(0.5)

        (local_dir / "lists" / "un_sc").mkdir(parents=True)
        (local_dir / "lists" / "un_sc" / "consolidated.xml").write_bytes(un_without_its_last_individual())
        loaded = first.manage("lists_load", "--dir", str(local_dir / "lists"), "--list", "un_sc")
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        hand_loaded = re.search(r"un_sc: activated version (\S+):", loaded.stdout)
        assert hand_loaded, loaded.stdout

        # A crashed worker is started again; the stack stays up.
        workers = first.pids_of("celery", "worker")
        assert workers, "no worker process found"
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        first.wait_for("worker exited unexpectedly", timeout=30)
        deadline = time.monotonic() + 30
        while not set(first.pids_of("celery", "worker")) - set(workers):
            assert time.monotonic() < deadline, first.output[-3000:]
            time.sleep(0.5)
        assert first.process.poll() is None, "the stack stopped with its worker"
        assert first.stop() == 0, first.output[-3000:]
    finally:
        if first.process.poll() is None:
            os.killpg(first.process.pid, signal.SIGKILL)

    second = LocalStack(port, local_dir)
    try:
        second.wait_for("Everything is up")
        assert f"un_sc: kept active version {hand_loaded.group(1)}" in second.output
        link = requests.post(f"{api}/customers/{customer_id}/documents/{document_id}/download-link",
                             headers=headers, timeout=30)
        assert link.status_code == 200, link.text
        downloaded = requests.get(link.json()["url"], timeout=30)
        assert downloaded.status_code == 200, downloaded.text[:500]
        assert hashlib.sha256(downloaded.content).hexdigest() == hashlib.sha256(data).hexdigest()
        assert second.stop() == 0
    finally:
        if second.process.poll() is None:
            os.killpg(second.process.pid, signal.SIGKILL)
