"""Letters to customers: the text of a request for information (or a reminder) and a plain PDF of it.

The PDF is written by hand (one Helvetica text page per 50 lines, an exact xref table): no
extra dependency, and the result carries nothing active, so it passes our own checks.
"""

from __future__ import annotations

import textwrap
from datetime import date

from apps.documents.models import DOCUMENT_TYPES


def request_letter_text(*, customer_name: str, document_types: list[str], due_date: date, reference: str,
                        note: str | None = None, reminder_days: int | None = None, today: date) -> str:
    """The letter naming each document asked for and the date they are due."""
    lines = [f"Date: {today.isoformat()}", f"Reference: {reference}", "", f"Dear {customer_name},", ""]
    if reminder_days is not None:
        lines += [f"This is a reminder: the documents below are due in {reminder_days} day(s), "
                  f"on {due_date.isoformat()}, and we have not received them yet.", ""]
    else:
        lines += ["To meet our customer due diligence obligations we need the following documents "
                  f"from you by {due_date.isoformat()}:", ""]
    for number, code in enumerate(document_types, start=1):
        lines.append(f"  {number}. {DOCUMENT_TYPES.get(code, code)}")
    lines.append("")
    if note:
        lines += [note, ""]
    lines += [
        "Please send clear copies (PDF, JPEG, PNG or TIFF; no archives or password-protected files) "
        f"quoting reference {reference}.",
        "If we do not receive them by the due date we may have to restrict your account.",
        "",
        "Yours sincerely,",
        "Customer Due Diligence team",
    ]
    return "\n".join(lines)


def _pdf_escape(text: str) -> str:
    text = text.encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_pdf(*, text: str, title: str) -> bytes:
    """A minimal, valid PDF 1.4 of ``text`` on A4 pages."""
    wrapped: list[str] = []
    for line in text.splitlines():
        wrapped.extend(textwrap.wrap(line, 90) or [""])
    pages = [wrapped[i:i + 50] for i in range(0, len(wrapped), 50)] or [[]]
    font_id = 3
    objects: list[bytes] = []
    page_ids = []
    next_id = 4
    page_objects: list[tuple[int, int, bytes]] = []
    for lines in pages:
        content = "BT /F1 11 Tf 14 TL 56 780 Td\n" + "".join(f"({_pdf_escape(line)}) Tj T*\n" for line in lines) + "ET"
        stream = content.encode("latin-1")
        page_id, content_id = next_id, next_id + 1
        next_id += 2
        page_ids.append(page_id)
        page_objects.append((page_id, content_id, stream))
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for _page_id, content_id, stream in page_objects:
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 {font_id} 0 R >> >> "
            f"/Contents {content_id} 0 R >>".encode())
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    info_id = len(objects) + 1
    objects.append(f"<< /Title ({_pdf_escape(title)}) /Producer (CDD platform) >>".encode("latin-1"))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {info_id} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)
