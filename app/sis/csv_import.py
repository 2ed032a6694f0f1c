"""Course results uploaded as CSV, turned into the same event a webhook would carry.

One row per result, a header naming the columns (any order; `,`, `;` or tab separated, UTF-8 with
or without BOM). Required: ``student_id``, ``student_name``, ``course_code``, ``term``, ``grade``,
``assessment_date`` (YYYY-MM-DD), ``identity_verified`` (true/false, yes/no, ja/nee, 1/0).
Optional: ``student_email``, ``student_did``, ``student_family_name``,
``student_given_name``, ``result_id``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from typing import Any

from app.config import get_settings
from app.errors import BatchTooLarge, FieldError, PayloadTooLarge, ValidationFailed
from app.sis.schemas import Parsed

REQUIRED = (
    "student_id",
    "student_name",
    "course_code",
    "term",
    "grade",
    "assessment_date",
    "identity_verified",
)
OPTIONAL = (
    "student_email",
    "student_did",
    "student_family_name",
    "student_given_name",
    "result_id",
)
_TRUE = {"true", "yes", "ja", "1", "y", "j"}
_FALSE = {"false", "no", "nee", "0", "n"}


KEY_PREFIX = "csv:key:"


def message_id_for(body: bytes, idempotency_key: str | None) -> str:
    """Uploading the same file twice is one import, unless the caller gives its own key."""
    if idempotency_key:
        return KEY_PREFIX + idempotency_key
    return f"csv:sha256:{hashlib.sha256(body).hexdigest()}"


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            "The CSV file is not UTF-8.",
            errors=[FieldError("#", "save the file as UTF-8", "invalid_encoding")],
        ) from exc


def _dialect(first_line: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _check_header(header: list[str]) -> list[str]:
    names = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED if name not in names]
    unknown = [name for name in names if name not in REQUIRED + OPTIONAL]
    errors = [
        FieldError(f"#/header/{name}", "required column missing", "missing_column")
        for name in missing
    ]
    errors += [
        FieldError(f"#/header/{name}", "unknown column", "unknown_column") for name in unknown
    ]
    if errors:
        raise ValidationFailed("The CSV header is not as documented.", errors=errors)
    return names


def _flag(raw: str) -> bool | str:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return raw  # left as text, so that validation names the field


_OPTIONAL_STUDENT_FIELDS = {
    "student_email": "email",
    "student_did": "did",
    "student_family_name": "family_name",
    "student_given_name": "given_name",
}


def _result(row: dict[str, str]) -> dict[str, Any]:
    student: dict[str, Any] = {"id": row["student_id"], "name": row["student_name"]}
    for column, field in _OPTIONAL_STUDENT_FIELDS.items():
        if row.get(column):
            student[field] = row[column]
    result: dict[str, Any] = {
        "student": student,
        "course_code": row["course_code"],
        "term": row["term"],
        "grade": row["grade"],
        "assessment_date": row["assessment_date"],
        "identity_verified": _flag(row["identity_verified"]),
    }
    if row.get("result_id"):
        result["result_id"] = row["result_id"]
    return result


def _rows(reader: Iterator[list[str]], names: list[str]) -> Iterator[dict[str, str]]:
    """The rows as header name to stripped cell; blank lines (e.g. at the end) are skipped."""
    for cells in reader:
        if any(cell.strip() for cell in cells):
            padded = cells + [""] * (len(names) - len(cells))
            yield dict(zip(names, (c.strip() for c in padded), strict=False))


def parse_csv(body: bytes) -> Parsed:
    settings = get_settings()
    if len(body) > settings.sis_max_event_bytes:
        raise PayloadTooLarge("The file is larger than this service accepts.")
    text = _text(body)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ValidationFailed(
            "The CSV file is empty.", errors=[FieldError("#/header", "no header", "empty_file")]
        )
    reader = csv.reader(io.StringIO(text), _dialect(lines[0]))
    try:
        names = _check_header(next(reader))
        # Consumed lazily, so line_num is each row's own (a quoted field may span lines).
        numbered = [(reader.line_num, row) for row in _rows(reader, names)]
    except csv.Error as exc:  # e.g. a lone carriage return inside a field
        raise ValidationFailed(
            "The CSV file cannot be read.",
            errors=[FieldError(f"#/lines/{reader.line_num}", "not CSV", "unreadable_file")],
        ) from exc
    results = [_result(row) for _, row in numbered]
    row_lines = [line for line, _ in numbered]
    if not results:
        raise ValidationFailed(
            "The CSV file has no rows.", errors=[FieldError("#/rows", "no rows", "empty_file")]
        )
    if len(results) > settings.sis_max_results_per_event:
        raise BatchTooLarge(
            f"An import holds at most {settings.sis_max_results_per_event} rows; "
            f"this one has {len(results)}."
        )
    return Parsed("course_results.batch", "recorded", results, single=False, lines=row_lines)
