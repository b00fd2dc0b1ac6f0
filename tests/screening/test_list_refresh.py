"""The scheduled refresh: fetch over HTTP (a local server on 127.0.0.1), load, and the beat entries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.schedules import crontab

from apps.screening.list_schedule import beat_entries
from apps.screening.lists import snapshot_files
from apps.screening.models import ListHead
from apps.screening.services.lists import ListFetchFailed, list_files_fetch
from apps.screening.tasks import lists_refresh

FILES = snapshot_files("ofac_cons")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = self.path.rsplit("/", 1)[-1]
        body = FILES.get(name)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def list_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def mirrored(settings, list_server):
    settings.CDD_LISTS_URLS = {"ofac_cons": {name: f"{list_server}/exports/{name}" for name in FILES}}
    return list_server


def test_the_refresh_task_fetches_the_files_and_activates_a_version(aws, mirrored):
    assert lists_refresh.run("ofac_cons") == "activated"
    head = ListHead.get("ofac_cons")
    assert head.entity_count == 442
    # The next run finds the same publication and changes nothing (safe to run twice).
    assert lists_refresh.run("ofac_cons") == "unchanged"
    assert ListHead.get("ofac_cons").active_version_id == head.active_version_id


def test_a_file_larger_than_the_cap_is_not_downloaded(mirrored):
    with pytest.raises(ListFetchFailed, match="larger than 1000 bytes"):
        list_files_fetch(list_key="ofac_cons", max_bytes=1000)


def test_a_missing_file_fails_the_fetch_naming_the_url(settings, list_server):
    urls = {name: f"{list_server}/exports/{name}" for name in FILES}
    settings.CDD_LISTS_URLS = {"ofac_cons": {**urls, "cons_alt.csv": f"{list_server}/exports/nope.csv"}}
    with pytest.raises(ListFetchFailed) as err:
        list_files_fetch(list_key="ofac_cons")
    assert "/exports/nope.csv" in err.value.message
    assert "404" in err.value.message


def test_beat_schedules_one_refresh_per_list_on_its_cron():
    entries = beat_entries(
        lists=["ofac_sdn", "bank_watch"],
        cron_overrides={"ofac_sdn": "5 6 * * 1-5"},
        extra={"bank_watch": {"format": "internal", "url": "https://intranet.example/watch.csv"}},
    )
    sdn = entries["screening.lists_refresh.ofac_sdn"]
    assert sdn["task"] == "screening.lists_refresh"
    assert sdn["args"] == ("ofac_sdn",)
    assert sdn["schedule"] == crontab(minute="5", hour="6", day_of_week="1-5")
    assert entries["screening.lists_refresh.bank_watch"]["schedule"] == crontab(minute="0", hour="3")


def test_a_list_without_url_cannot_be_scheduled():
    with pytest.raises(ValueError, match="'bank_watch'"):
        beat_entries(lists=["bank_watch"], cron_overrides={}, extra={"bank_watch": {"format": "internal"}})
