"""A DOCX archive checked before python-docx opens it, which inflates every member whole.

A member named twice is refused (zipfile would read the last, python-docx then fails on it).
The sizes the archive's directory declares are checked against `max_inflate_ratio` and
`max_inflated_bytes` before anything is inflated. The directory can lie, and zipfile inflates
a member in one call however large it turns out; but deflate cannot inflate more than 1032
times, so when even that worst case fits the limit nothing needs inflating here. Otherwise the
members that could lie are inflated in 64 KiB pieces first, and refused past the limit having
cost a few MB. The XML python-docx would parse is bounded the same way: by the declared sizes
when they are small (an element takes at least 4 bytes, `<a/>`), else by counting tags.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path

from ..errors import DamagedInput, LimitExceeded
from ..limits import Limits, MiB

_RATIO_FLOOR = 1 * MiB  # members smaller than this may inflate as much as they like
_DEFLATE_MAX_RATIO = 1032
_MIN_ELEMENT_BYTES = 4
_CHUNK = 64 * 1024


def check_package(path: Path, data: bytes, limits: Limits) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except Exception:  # noqa: BLE001 - zipfile raises many types for a damaged archive
        raise DamagedInput(f"{path}: the DOCX archive is damaged or truncated") from None
    named_twice = [name for name, n in Counter(m.filename for m in members).items() if n > 1]
    if named_twice:
        raise DamagedInput(f"{path}: the DOCX archive holds {named_twice[0]} twice "
                           "(damaged or tampered with)")
    for member in members:
        ratio = member.file_size // max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR and ratio > limits.max_inflate_ratio:
            raise LimitExceeded(f"{path}: the DOCX member {member.filename} inflates {ratio} "
                                f"times (limit max_inflate_ratio = {limits.max_inflate_ratio})")
    declared = sum(m.file_size for m in members)
    if declared > limits.max_inflated_bytes:
        raise LimitExceeded(f"{path}: the DOCX inflates to {declared // MiB} MiB "
                            f"(limit max_inflated_bytes = {limits.max_inflated_bytes})")
    may_lie = [m for m in members if _worst_case(m) > m.file_size]
    if sum(max(m.file_size, _worst_case(m)) for m in members) > limits.max_inflated_bytes:
        _inflate(path, archive, may_lie, limits)
    xml = [m for m in members if m.filename.endswith((".xml", ".rels"))]
    if sum(m.file_size for m in xml) > _MIN_ELEMENT_BYTES * limits.max_markup_elements:
        tags = _inflate(path, archive, xml, limits)
        if tags > limits.max_markup_elements:
            raise LimitExceeded(f"{path}: the DOCX holds about {tags} XML elements "
                                f"(limit max_markup_elements = {limits.max_markup_elements})")


def _worst_case(member: zipfile.ZipInfo) -> float:
    """The most `member` can inflate to, whatever its declared size."""
    if member.compress_type == zipfile.ZIP_STORED:
        return member.compress_size
    if member.compress_type == zipfile.ZIP_DEFLATED:
        return _DEFLATE_MAX_RATIO * member.compress_size
    return float("inf")  # bzip2 and lzma have no useful ceiling


def _inflate(path: Path, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo],
             limits: Limits) -> int:
    """Inflate `members` in small pieces within `max_inflated_bytes` (a damaged member, or
    one larger than declared, is DamagedInput); returns the number of opening tags."""
    inflated = tags = 0
    for member in members:
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(_CHUNK):
                    inflated += len(chunk)
                    tags += chunk.count(b"<") - chunk.count(b"</")
                    if inflated > limits.max_inflated_bytes:
                        raise LimitExceeded(
                            f"{path}: the DOCX inflates to more than its directory says and past "
                            f"the limit max_inflated_bytes = {limits.max_inflated_bytes}")
        except LimitExceeded:
            raise
        except Exception:  # noqa: BLE001 - zipfile and zlib raise many types
            raise DamagedInput(f"{path}: the DOCX member {member.filename} is damaged") from None
    return tags
