"""The customer file: one archive with everything a regulator asks for about a customer, checkable offline."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from apps.audit.actors import Actor
from apps.audit.customer_file import customer_file_export, customer_file_verify
from apps.audit.selectors import audit_chain_events
from apps.core.outbox import outbox_drain
from apps.core.roles import INTEGRATION, SCOPES
from apps.core.services import api_key_create
from apps.customers.services import customer_create, related_party_add
from apps.documents import services as documents
from apps.reviews import services as reviews
from apps.screening.selectors.alerts import alerts_of_customer
from apps.screening.services.alerts import alert_disposition_decide, alert_disposition_propose
from tests.documents import corpus, files
from tests.reviews.support import settle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws", "no_scans")]

RATIONALE = "Screening hit on the shareholder was a false positive; ownership traced to two people"
FP_RATIONALE = "Listed person born 1957 in Qom; our shareholder is a British engineer born 1958 in Leeds"
ENTITY = {"customer_type": "legal_entity", "legal_name": "Northwind Trading Ltd", "registration_number": "09876543",
          "jurisdiction": "GB", "legal_form": "private limited company", "industry_code": "46.90",
          "status": "onboarding", "products": ["business_account"], "channels": ["online"],
          "addresses": [{"type": "registered", "line1": "1 Dock Road", "city": "Bristol", "country": "GB"}]}


@pytest.fixture(autouse=True)
def _settings(settings: Any) -> None:
    settings.CDD_AUDIT_ANCHOR_BOOTSTRAP_DAYS = 2
    settings.CDD_DOCUMENT_SCANNER = "fake"  # files wait for their scan, as in AWS


@pytest.fixture
def no_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any DynamoDB Scan fails the test: the export reads keys and indexes only (it is an API call)."""
    from pynamodb.connection.base import Connection

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a Scan was issued on a request path")

    monkeypatch.setattr(Connection, "scan", refuse)


def _upload(customer_id: str, user: User, body: bytes, *, kind: str, filename: str, number: str | None = None) -> Any:
    return documents.document_upload(customer_id=customer_id, file=io.BytesIO(body), filename=filename,
                                     meta=documents.DocumentMeta(document_type=kind, number=number),
                                     actor=Actor.from_user(user))


@pytest.fixture
def customer(analyst: User, analyst2: User, reviewer: User, senior_reviewer: User) -> dict[str, Any]:
    """A legal entity through the whole loop: a party alerted and cleared, rated, documents, a decided case."""
    created = customer_create(actor=Actor.system("tests"), integration="tests", data=ENTITY)
    cid = created.customer_id
    party = related_party_add(customer_id=cid, actor=Actor.from_user(analyst), data={
        "party_type": "individual", "name": "Qasem Soleimani", "roles": ["shareholder", "beneficial_owner"],
        "ownership_percentage": 60, "date_of_birth": "1958-03-11", "nationalities": ["GB"]})
    related_party_add(customer_id=cid, actor=Actor.from_user(analyst), data={
        "party_type": "individual", "name": "Harriet Quennell", "roles": ["shareholder"], "ownership_percentage": 40,
        "date_of_birth": "1980-04-02", "nationalities": ["GB"]})
    settle(cid)
    alerts = alerts_of_customer(customer_id=cid)
    assert alerts, "a shareholder named like a listed person is alerted"
    for view in alerts:
        alert_disposition_propose(alert_id=view.alert_id, actor=Actor.from_user(analyst), outcome="false_positive",
                                  rationale=FP_RATIONALE)
        alert_disposition_decide(alert_id=view.alert_id, actor=Actor.from_user(senior_reviewer), confirm=True,
                                 rationale="agreed: other person")
    clean = _upload(cid, analyst, files.pdf(), kind="certificate_of_incorporation", filename="incorporation.pdf",
                    number="09876543")
    infected = _upload(cid, analyst, corpus.eicar_in_pdf_metadata(), kind="articles_of_association",
                       filename="articles.pdf")
    settle(cid)  # the scans' results, and the risk re-rating the disposition asked for
    documents.document_verify(customer_id=cid, document_id=clean.document_id, actor=Actor.from_user(reviewer))
    waiting = _upload(cid, analyst, files.pdf(pages=2), kind="register_of_shareholders", filename="register.pdf")
    case_id = f"onboarding-{cid}"
    reviews.case_note_add(case_id=case_id, author=Actor.from_user(analyst2), text="Register of shareholders asked for.")
    reviews.case_submit(case_id=case_id, analyst=Actor.from_user(analyst2), summary="alert cleared, documents in")
    reviews.case_approve(case_id=case_id, reviewer=Actor.from_user(senior_reviewer), rationale=RATIONALE)
    return {"customer_id": cid, "party_id": party.party_id, "alert_ids": [v.alert_id for v in alerts],
            "clean": clean.document_id, "infected": infected.document_id, "waiting": waiting.document_id,
            "case_id": case_id}


def _unzip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _rezip(path: Path, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, body in files.items():
            zf.writestr(name, body)


def _exported(customer_id: str, user: User, tmp_path: Path, *, with_files: bool = True) -> tuple[Any, Path]:
    exported = customer_file_export(customer_id=customer_id, actor=Actor.from_user(user), with_files=with_files)
    path = exported.save(tmp_path / "file.zip")
    exported.archive.close()
    return exported, path


def test_the_file_holds_what_a_regulator_checks_and_verifies_offline(
        customer: dict[str, Any], auditor: User, tmp_path: Path) -> None:
    exported, path = _exported(customer["customer_id"], auditor, tmp_path)
    bundle = _unzip(path)
    manifest = json.loads(bundle["manifest.json"])

    # The decision and its rationale, and who made it.
    case = next(c for c in json.loads(bundle["cases/cases.json"]) if c["case_id"] == customer["case_id"])
    assert (case["decision"], case["rationale"], case["decided_by_name"]) == ("approved", RATIONALE, "sam.senior")
    assert case["submitted_by_name"] == "andy.analyst"
    assert [(n["name"], n["text"]) for n in case["notes"]] == [("andy.analyst", "Register of shareholders asked for.")]
    # The alert: the list version and algorithm that produced it, and its disposition.
    alerts = json.loads(bundle["screening/alerts.json"])
    alert = next(a for a in alerts if a["alert"]["alert_id"] == customer["alert_ids"][0])
    assert alert["alert"]["subject_name"] == "Qasem Soleimani"
    assert alert["alert"]["algorithm"] and alert["alert"]["list_version_id"]
    assert alert["alert"]["list_version_id"] in manifest["list_versions"][alert["alert"]["list_key"]]
    assert alert["alert"]["algorithm"] in manifest["algorithms"]["screening"]
    assert alert["state"]["decision"]["outcome"] == "false_positive"
    assert alert["state"]["decision"]["proposal"]["rationale"] == FP_RATIONALE
    runs = json.loads(bundle["screening/runs.json"])
    assert {r["subject_id"] for r in runs} >= {"customer", customer["party_id"]}
    assert all(r["list_versions"] and r["algorithm"] for r in runs)
    # The risk assessments with their factors, and the model version that scored them.
    assessments = json.loads(bundle["risk/assessments.json"])
    assert assessments and all(a["result"]["factors"] for a in assessments)
    assert {"screening", "ownership"} <= {f["factor"] for f in assessments[-1]["result"]["factors"]}
    assert {m["model_version"] for m in json.loads(bundle["risk/models.json"])} == \
        set(manifest["algorithms"]["risk_model_versions"])
    # The ownership picture and the profile with its parties.
    ownership = json.loads(bundle["customer/ownership.json"])
    assert {o["name"] for o in ownership["beneficial_owners"]} == {"Qasem Soleimani", "Harriet Quennell"}
    profile = json.loads(bundle["customer/profile.json"])
    assert profile["customer"]["legal_name"] == "Northwind Trading Ltd"
    assert len(profile["related_parties"]) == 2
    history = [h["action"] for h in json.loads(bundle["customer/history.json"])]
    assert history[0] == "customer.created" and history.count("related_party.added") == 2
    assert history[-1] == "customer.viewed"  # the export read the full profile, audited as every such read
    # Documents: metadata with the number masked; only the clean file is included, the others say why.
    docs = json.loads(bundle["documents/documents.json"])["documents"]
    certificate = next(d for d in docs if d["document_id"] == customer["clean"])
    assert certificate["number_masked"] == "****43" and "number" not in certificate
    assert "09876543" not in bundle["documents/documents.json"].decode()
    listed = {d["document_id"]: d for d in manifest["documents"]}
    assert listed[customer["clean"]]["included"] and listed[customer["clean"]]["matches_record"]
    assert bundle[listed[customer["clean"]]["path"]] == files.pdf()
    assert not listed[customer["infected"]]["included"] and "malware" in listed[customer["infected"]]["reason"]
    assert not listed[customer["waiting"]]["included"]
    assert "awaiting its malware scan" in listed[customer["waiting"]]["reason"]
    assert not any(name.startswith(f"documents/files/{customer['infected']}") for name in bundle)
    # The audit events of every chain, verified by the bank at export time.
    chains = {c["chain"] for c in manifest["audit"]["chains"]}
    assert {f"customer#{customer['customer_id']}", f"case#{customer['case_id']}",
            f"alert#{customer['alert_ids'][0]}", f"document#{customer['clean']}"} <= chains
    assert json.loads(bundle["audit/verification.json"])["ok"] is True
    # The manifest: every file with its hash; its own hash in the bundle and in the trail.
    assert {f["path"] for f in manifest["files"]} == set(bundle) - {"manifest.json", "manifest.sha256"}
    assert bundle["manifest.sha256"].decode().split()[0] == exported.manifest_sha256
    assert (manifest["customer"]["name"], manifest["created_by"]["name"]) == ("Northwind Trading Ltd",
                                                                              "audrey.auditor")
    last = audit_chain_events(chain=f"customer#{customer['customer_id']}")[-1]
    assert (last.action, last.data["manifest_sha256"], last.actor["name"]) == (
        "customer.file_exported", exported.manifest_sha256, "audrey.auditor")
    assert last.data["documents_included"] == [customer["clean"]]
    assert "sha256sum -c manifest.sha256" in bundle["README.txt"].decode()

    report = customer_file_verify(path=path)
    assert report.ok, report.problems
    assert report.files_checked == len(manifest["files"])
    audit_dir = tmp_path / "audit"  # the audit/ folder is an audit export: its own verifier reads it as one
    audit_dir.mkdir()
    for name in ("events.jsonl", "events.csv", "manifest.json"):
        (audit_dir / name).write_bytes(bundle[f"audit/{name}"])
    out = io.StringIO()
    call_command("audit_verify", "--file", str(audit_dir), stdout=out)
    assert "OK:" in out.getvalue()
    assert report.decisions_checked >= 2  # the case decision and the alert disposition, against the trail
    assert report.audit is not None and report.audit.events == manifest["contents"]["audit_events"]


def test_one_changed_byte_in_one_file_fails_verification_naming_that_file(
        customer: dict[str, Any], auditor: User, tmp_path: Path) -> None:
    _, path = _exported(customer["customer_id"], auditor, tmp_path)
    bundle = _unzip(path)
    body = bytearray(bundle["risk/assessments.json"])
    body[body.index(b'"rating"') + 1] ^= 0x20  # one byte
    _rezip(path, {**bundle, "risk/assessments.json": bytes(body)})
    report = customer_file_verify(path=path)
    assert not report.ok
    assert [p.split(":")[0] for p in report.problems] == ["risk/assessments.json"]
    with pytest.raises(CommandError, match="1 problem"):
        call_command("customer_file_verify", str(path), stdout=io.StringIO())


def test_a_decision_rewritten_with_a_matching_manifest_is_still_caught_against_the_trail(
        customer: dict[str, Any], auditor: User, tmp_path: Path) -> None:
    import hashlib

    _, path = _exported(customer["customer_id"], auditor, tmp_path)
    bundle = _unzip(path)
    cases = bundle["cases/cases.json"].replace(RATIONALE.encode(), b"Approved without looking")
    manifest = json.loads(bundle["manifest.json"])
    for entry in manifest["files"]:
        if entry["path"] == "cases/cases.json":
            entry.update(sha256=hashlib.sha256(cases).hexdigest(), bytes=len(cases))
    manifest_body = json.dumps(manifest).encode()
    _rezip(path, {**bundle, "cases/cases.json": cases, "manifest.json": manifest_body,
                  "manifest.sha256": f"{hashlib.sha256(manifest_body).hexdigest()}  manifest.json\n".encode()})
    report = customer_file_verify(path=path)
    assert [p.split(":")[0] for p in report.problems] == ["cases/cases.json"]
    assert "the audit trail records the rationale" in report.problems[0]
    # ... and the bank, asked to confirm the manifest's hash, does not.
    other = customer_file_verify(path=path, expect_manifest_sha256="0" * 64)
    assert any(p.startswith("manifest.json") for p in other.problems)


def test_an_edited_audit_event_breaks_its_chain_in_the_bundle(
        customer: dict[str, Any], auditor: User, tmp_path: Path) -> None:
    _, path = _exported(customer["customer_id"], auditor, tmp_path, with_files=False)
    bundle = _unzip(path)
    lines = bundle["audit/events.jsonl"].decode().splitlines()
    index = next(i for i, line in enumerate(lines) if '"case.approved"' in line)
    lines[index] = lines[index].replace(RATIONALE, "Approved without looking")
    _rezip(path, {**bundle, "audit/events.jsonl": ("\n".join(lines) + "\n").encode()})
    problems = customer_file_verify(path=path).problems
    assert problems[0].startswith("audit/events.jsonl: its SHA-256")  # the manifest's checksum
    assert any(p.startswith("audit/events.jsonl") and "CHANGED" in p and f"case#{customer['case_id']}" in p
               for p in problems)  # the chain recomputed from the lines
    # the readable case no longer matches the (broken) trail, and the report says which one is broken
    assert [p for p in problems if p.startswith("cases/cases.json")] == [
        f"cases/cases.json: case {customer['case_id']} says it was approved with the rationale {RATIONALE!r}, but "
        "the audit trail, whose chain is itself broken (see above), records the rationale 'Approved without looking'"]


def _confined_key(username: str, *, all_integrations: bool = False) -> APIClient:
    user = User.objects.create_user(username=username)
    user.groups.set(Group.objects.filter(name=INTEGRATION))
    scopes = list(SCOPES) if all_integrations else [s for s in SCOPES if s != "integrations:all"]
    _, key = api_key_create(name=f"{username} key", user=user, scopes=scopes, actor=Actor.system("tests"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_an_auditor_exports_through_the_api_and_downloads_it_by_its_link(
        customer: dict[str, Any], auditor: User, client_for: Callable[[User], APIClient], tmp_path: Path) -> None:
    import requests

    response = client_for(auditor).post(f"/api/v1/customers/{customer['customer_id']}/file", {"with_files": True},
                                        format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["customer_name"] == "Northwind Trading Ltd"
    assert body["manifest"]["with_files"] is True and body["manifest"]["file_count"] > 10
    assert body["manifest"]["contents"]["cases"] == 1
    assert "X-Amz-Expires=300" in body["url"] and body["key"].endswith(".zip")
    downloaded = requests.get(body["url"], timeout=30)
    assert downloaded.status_code == 200
    path = tmp_path / "api.zip"
    path.write_bytes(downloaded.content)
    report = customer_file_verify(path=path, expect_manifest_sha256=body["manifest_sha256"])
    assert report.ok, report.problems
    event = audit_chain_events(chain=f"customer#{customer['customer_id']}")[-1]
    assert (event.event_id, event.action) == (body["audit_event_id"], "customer.file_exported")


def test_a_senior_reviewer_may_export_an_analyst_or_reviewer_or_any_key_may_not(
        customer: dict[str, Any], senior_reviewer: User, analyst: User, reviewer: User,
        client_for: Callable[[User], APIClient]) -> None:
    url = f"/api/v1/customers/{customer['customer_id']}/file"
    assert client_for(senior_reviewer).post(url, format="json").status_code == 201  # no body: metadata only
    for user in (analyst, reviewer):
        refused = client_for(user).post(url, {}, format="json")
        assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    # the integration that created the customer, another one, and one that sees every integration's customers
    for key in (_confined_key("tests"), _confined_key("broker"), _confined_key("core-banking", all_integrations=True)):
        assert key.post(url, {}, format="json").status_code == 403
    exported = [e for e in audit_chain_events(chain=f"customer#{customer['customer_id']}")
                if e.action == "customer.file_exported"]
    assert [e.actor["name"] for e in exported] == ["sam.senior"]


def test_bad_input_is_a_clear_4xx(auditor: User, client_for: Callable[[User], APIClient],
                                  customer: dict[str, Any]) -> None:
    client = client_for(auditor)
    missing = client.post("/api/v1/customers/cus_01NOSUCHCUSTOMER0000000000/file", {}, format="json")
    assert missing.status_code == 404 and missing.json()["code"] == "customer_not_found"
    url = f"/api/v1/customers/{customer['customer_id']}/file"
    for body, name in (({"with_files": "yes"}, "with_files"), ({"with_file": True}, "with_file"),
                       ([True], "with_files")):
        bad = client.post(url, body, format="json")
        assert bad.status_code == 400, bad.content
        assert name in bad.json()["errors"], bad.json()


def test_the_commands_export_and_verify_a_demo_customer(
        auditor: User, analyst: User, analyst2: User, senior_reviewer: User, tmp_path: Path, settings: Any) -> None:
    """The record the lead shows: the export of a demo customer's file and its verification, as printed."""
    from apps.customers.demo import demo_load
    from apps.customers.selectors import customer_get_by_external_reference

    demo_load(actor=Actor.system("demo"))
    harbour = customer_get_by_external_reference(integration="demo", external_reference="DEMO-ENT-001")
    assert harbour is not None
    cid = harbour.customer_id
    settle(cid)
    _upload(cid, analyst, files.pdf(), kind="certificate_of_incorporation", filename="Harbour incorporation.pdf")
    outbox_drain(group_key=cid)
    for view in alerts_of_customer(customer_id=cid):
        alert_disposition_propose(alert_id=view.alert_id, actor=Actor.from_user(analyst), outcome="false_positive",
                                  rationale="other person")
        alert_disposition_decide(alert_id=view.alert_id, actor=Actor.from_user(senior_reviewer), confirm=True,
                                 rationale="agreed")
    settle(cid)
    reviews.case_submit(case_id=f"onboarding-{cid}", analyst=Actor.from_user(analyst2), summary="all checked")
    reviews.case_approve(case_id=f"onboarding-{cid}", reviewer=Actor.from_user(senior_reviewer),
                         rationale="Ownership traced to Pieter de Vries and Amelia Hartley; screening clear")

    from apps.audit.management.commands.customer_file_export import Command

    help_text = Command().create_parser("manage.py", "customer_file_export").format_help()
    assert "manifest.json" in help_text and "customer_file_verify" in help_text and "--with-files" in help_text
    out = io.StringIO()
    call_command("customer_file_export", cid, "--with-files", "--out", str(tmp_path), "--actor", "audrey",
                 stdout=out)
    assert out.getvalue().startswith("Customer file of ")  # a sentence, as the other commands' output
    saved = next(tmp_path.glob("customer-file-*.zip"))
    verified = io.StringIO()
    call_command("customer_file_verify", str(saved), stdout=verified)
    assert "OK:" in verified.getvalue() and "PROBLEM" not in verified.getvalue()
    bundle = _unzip(saved)
    _rezip(saved, {**bundle, "cases/cases.json": bundle["cases/cases.json"].replace(b"screening clear",
                                                                                    b"screening clean")})
    tampered = io.StringIO()
    with pytest.raises(CommandError):
        call_command("customer_file_verify", str(saved), stdout=tampered)
    assert "PROBLEM: cases/cases.json" in tampered.getvalue()
