"""Small real files for upload tests: a one-page PDF and a 1×1 PNG written byte by byte, the
enterprise data template with cells changed, and a zip-bomb workbook."""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from pathlib import Path


def pdf_bytes(text: str = "Commerce Brain claim evidence") -> bytes:
    """A valid one-page PDF 1.4 showing ``text`` (ASCII), with a correct cross-reference table."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
         b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png_bytes() -> bytes:
    """A valid 1×1 white PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
            + chunk(b"IEND", b""))


def write(folder: Path, name: str, content: bytes) -> Path:
    """``content`` as a file ``name`` in ``folder``."""
    path = folder / name
    path.write_bytes(content)
    return path


def actuals_csv(path: Path, rows) -> Path:
    """A CSV of actuals with the import's English header and ``rows`` under it."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["plan", "indicator", "org_unit", "period", "value"])
        writer.writerows(rows)
    return path


def enterprise_workbook(folder: Path, name: str, **cells: object) -> Path:
    """The enterprise data template (two example enterprises, A of 柯城区 with a patent event and
    B of 市本级 with a green loan) with ``sheet_A1=value`` cells changed (``facts_C2=…``)."""
    from openpyxl import load_workbook

    from commerce_brain.io.enterprise_import import write_policy_template

    path = folder / name
    write_policy_template(path, with_examples=True)
    book = load_workbook(path)
    for where, value in cells.items():
        sheet, cell = where.rsplit("_", 1)
        book[sheet][cell] = value
    book.save(path)
    return path


EMPTY_ROWS = b'<row r="1"><c r="A1"/></row>' * 4096  # deflates about a thousand times
TEXT_ROWS = b'<row r="1"><c r="A1" t="inlineStr"><is><t>0</t></is></c></row>' * 2048


def zip_bomb(path: Path, unpacked_mb: int, *, rows: bytes = EMPTY_ROWS, level: int = 9,
             padding_kb: int = 0) -> Path:
    """A workbook whose one sheet is ``unpacked_mb`` MB of ``rows`` repeated (a few hundred KB
    that unpack to hundreds of MB), written in a stream; ``padding_kb`` of random bytes beside
    it as an image, to give the file the size of a real one."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        if padding_kb:
            book.writestr("xl/media/image1.png", os.urandom(padding_kb * 1024), compress_type=zipfile.ZIP_STORED)
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for _ in range(unpacked_mb * 1024 * 1024 // len(rows)):
                sheet.write(rows)
            sheet.write(b"</sheetData></worksheet>")
    return path
