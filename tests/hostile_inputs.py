"""Hostile inputs made from the corpus: the fuzz campaign's findings (issue 15) as recipes.

Each recipe returns the bytes of one file (or writes a pattern directory), so the tests and
benchmarks/bench_scaling.py rebuild them instead of keeping them checked in. The large inputs
take a size, for measuring time against size.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
SEED = CORPUS / "seed_shanghai_2020.txt"
TEMPLATE = CORPUS / "template_2021_blank.docx"
PINGTAN = CORPUS / "pingtan_2023_page.txt"
HTML = CORPUS / "shuyang_county_fgj_2023.html"

# A PDF whose page tree claims two billion pages and holds none.
PAGE_COUNT_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                  b"2 0 obj<</Type/Pages/Kids[]/Count 2000000000>>endobj\n"
                  b"trailer<</Root 1 0 R>>\n%%EOF\n")


def long_number_cell(digits: int) -> bytes:
    """The seed dump with its first tab-separated number replaced by `digits` nines."""
    text = SEED.read_text(encoding="utf-8")
    return re.sub(r"(?<=\t)\d+(?=\t|\n)", "9" * digits, text, count=1).encode()


def bad_byte(source: Path, offset: int | None) -> bytes:
    """`source` with one 0xFF byte inserted at `offset` (None: at the end)."""
    data = source.read_bytes()
    at = len(data) if offset is None else offset
    return data[:at] + b"\xff" + data[at:]


def docx_with(replace: dict[bytes, bytes] | None = None,
              extra: dict[str, bytes] | None = None, source: Path = TEMPLATE) -> bytes:
    """The template DOCX with the first occurrence of each `replace` key in word/document.xml
    replaced, and `extra` members appended (a name already there is then in it twice)."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                for old, new in (replace or {}).items():
                    data = data.replace(old, new, 1)
            dst.writestr(info, data)
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def grid_span(value: str, cells: int = 1) -> bytes:
    """The template with `cells` table cells given `<w:gridSpan w:val="value"/>`."""
    data = docx_with()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml")
    spans = xml.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="' + value.encode() + b'"/>',
                        cells) if b"<w:tcPr>" in xml else xml
    return docx_with({xml: spans})


def zip_bomb(member: str, inflated: int, *, declared: int | None = None,
             level: int = 1) -> bytes:
    """The template with `member` padded by spaces to about `inflated` bytes (deflate `level`
    9 packs 1 GB into 1 MB, 1 into 4.7 MB but five times faster); `declared` rewrites the
    size the archive's directory gives for it (a lying archive)."""
    out = io.BytesIO()
    with zipfile.ZipFile(TEMPLATE) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED,
                                                            compresslevel=level) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename != member:
                dst.writestr(info, data)
                continue
            cut = data.rindex(b"</")
            with dst.open(info.filename, "w", force_zip64=True) as stream:
                stream.write(data[:cut])
                chunk = b" " * (1 << 22)
                for start in range(0, inflated, len(chunk)):
                    stream.write(chunk[: inflated - start])
                stream.write(data[cut:])
    data = out.getvalue()
    if declared is not None:
        data = _declare_size(data, member, declared)
    return data


def _declare_size(data: bytes, member: str, size: int) -> bytes:
    """Rewrite the uncompressed size of `member` where the local header (zip64 extra field)
    and the central directory (plain field) give it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        true = archive.getinfo(member).file_size
    return (data.replace(true.to_bytes(8, "little"), size.to_bytes(8, "little"))
            .replace(true.to_bytes(4, "little"), size.to_bytes(4, "little")))


def rules_not_a_mapping(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "rules.yaml").write_text("rules: [1]\n", encoding="utf-8")
    return directory


def yaml_alias_bomb(directory: Path, pad_to: int = 0) -> Path:
    """headings.yaml whose aliases expand to 10¹² strings; padded with comments to `pad_to`
    bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = ['a0: &a0 [' + ", ".join(['"lol"'] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    text = "\n".join(lines) + "\nsections: *a11\n"
    pad = "# " + "x" * 97 + "\n"
    text += pad * max(0, (pad_to - len(text)) // len(pad))
    (directory / "headings.yaml").write_text(text, encoding="utf-8")
    return directory


# ------------------------------------------------------------------ large inputs, by size

def tsv_rows(rows: int) -> bytes:
    """The seed dump followed by `rows` lines of eight tab-separated integers."""
    tail = "".join("\t".join(str((i * 7 + j) % 1000) for j in range(8)) + "\n"
                   for i in range(rows))
    return (SEED.read_text(encoding="utf-8") + "\n" + tail).encode()


def repeated_headings(count: int) -> bytes:
    """The seed dump followed by `count` copies of a section heading line."""
    return (SEED.read_text(encoding="utf-8") + "\n" + "二、主动公开政府信息情况\n" * count).encode()


def html_rows(rows: int, columns: int = 7) -> bytes:
    """The 沭阳 page with a table of `rows` × `columns` cells of 1 added to its end."""
    table = ("<table>" + ("<tr>" + "<td>1</td>" * columns + "</tr>") * rows + "</table>")
    page = HTML.read_text(encoding="utf-8")
    return page.replace("</body>", table + "</body>", 1).encode()


LARGE = {
    # name: (recipe, the size the issue names, file suffix)
    "tsv_rows": (tsv_rows, 20_000, ".txt"),
    "repeated_headings": (repeated_headings, 40_000, ".txt"),
    "html_rows": (html_rows, 20_000, ".html"),
}
