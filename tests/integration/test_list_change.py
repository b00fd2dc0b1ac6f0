"""A list change on the real local stack: a UN version that adds an entry naming an existing
customer alerts that customer within a minute; the same file again raises nothing; a version
without the entry marks the alert delisted. The worker does it all (delta re-screen, then the
customer's own screening) from SQS."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from apps.screening.lists.snapshot import snapshot_files
from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration

ADDED = """<INDIVIDUAL>
      <DATAID>99000001</DATAID>
      <VERSIONNUM>1</VERSIONNUM>
      <FIRST_NAME>TOBIAS</FIRST_NAME>
      <SECOND_NAME>WRENFIELD-ASHCOMBE</SECOND_NAME>
      <UN_LIST_TYPE>DRC</UN_LIST_TYPE>
      <REFERENCE_NUMBER>CDi.999</REFERENCE_NUMBER>
      <LISTED_ON>2026-11-30</LISTED_ON>
      <NATIONALITY><VALUE>United Kingdom of Great Britain and Northern Ireland</VALUE></NATIONALITY>
      <LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1975-06-14</DATE></INDIVIDUAL_DATE_OF_BIRTH>
    </INDIVIDUAL>
    """


def un_files(folder: Path, *, with_entry: bool) -> Path:
    xml = snapshot_files("un_sc")["consolidated.xml"].decode("utf-8")
    if with_entry:
        at = xml.index("<INDIVIDUAL>")
        xml = xml[:at] + ADDED + xml[at:]
    (folder / "un_sc").mkdir(parents=True, exist_ok=True)
    (folder / "un_sc" / "consolidated.xml").write_text(xml, encoding="utf-8")
    return folder


def wait_until(what: str, check: Any, stack: Stack, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout:.0f}s\n{stack.log('worker')[-3000:]}")


def test_a_new_list_entry_alerts_the_customer_it_names_and_its_removal_marks_it_delisted(
        stack: Stack, tmp_path: Path) -> None:
    headers = {"Authorization": f"Api-Key {stack.api_key}"}
    api = f"{stack.urls['api']}/api/v1"
    created = requests.post(f"{api}/customers", headers=headers, timeout=30, json={
        "customer_type": "individual", "legal_name": "Tobias Wrenfield-Ashcombe", "date_of_birth": "1975-06-14",
        "nationalities": ["GB"], "country_of_residence": "GB"})
    customer_id = created.json()["customer_id"]
    wait_until("the customer's first screening", lambda: requests.get(
        f"{api}/customers/{customer_id}/screenings", headers=headers, timeout=10).json(), stack)

    def alerts() -> list[dict[str, Any]]:
        return list(requests.get(f"{api}/customers/{customer_id}/alerts", headers=headers, timeout=10).json())

    assert alerts() == []
    loaded = stack.manage("lists_load", "--dir", str(un_files(tmp_path / "v1", with_entry=True)), "--list", "un_sc")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "+1 -0 ~0" in loaded.stdout
    started = time.monotonic()
    [alert] = wait_until("an alert on CDi.999", lambda: [a for a in alerts() if a["list_entity_id"] == "CDi.999"],
                         stack)
    print(f"\nlist version loaded -> alert visible: {time.monotonic() - started:.1f} s")

    again = stack.manage("lists_load", "--dir", str(tmp_path / "v1"), "--list", "un_sc")
    assert "unchanged" in again.stdout
    time.sleep(3)
    assert [a["alert_id"] for a in alerts()] == [alert["alert_id"]]

    removed = stack.manage("lists_load", "--dir", str(un_files(tmp_path / "v2", with_entry=False)), "--list", "un_sc")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    wait_until("the alert marked delisted", lambda: requests.get(
        f"{api}/alerts/{alert['alert_id']}", headers=headers, timeout=10).json().get("delisted"), stack)
