"""Per-record rules and object framing of the clickstream data contract (docs/data-contract.md).

Pure standard library so the Glue job ships it with --extra-py-files and `python3 -m unittest`
checks it here against the same golden vectors (test/vectors/*.json) as the TypeScript engine.
Table-level rules (duplicate event_id, event_sequence, is_session_start) live in the Spark job.

Importing this module reads no file: load_contract() returns the contract, and every rule that
depends on it takes it as an argument (the job passes it to the executors with the work).
"""

from __future__ import annotations

import base64
import datetime as _dt
import gzip
import json
import math
import os
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

CONTRACT_FILE = "data-contract.json"
# What this module's code can judge; a contract naming anything else fails to load, not mid-run.
FIELD_KINDS = ("id", "event_type", "timestamp", "text", "lowercase_text", "price", "quantity", "properties")
# What an errors/ line holds; the contract decides the order they are written in.
REJECT_FIELDS = ("reason", "field", "message", "source", "line", "raw")


def contract_paths() -> Iterator[str]:
    """Where the contract may be: $CLICKSTREAM_CONTRACT; beside this module; the repository's contract/
    folder; the working directory (Glue's --extra-files); Spark's distributed files (sc.addFile, which
    is how executors of the local runner get it)."""
    if os.environ.get("CLICKSTREAM_CONTRACT"):
        yield os.environ["CLICKSTREAM_CONTRACT"]
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, CONTRACT_FILE)
    yield os.path.join(os.path.dirname(here), "contract", CONTRACT_FILE)
    yield os.path.join(os.getcwd(), CONTRACT_FILE)
    try:
        from pyspark import SparkFiles

        yield SparkFiles.get(CONTRACT_FILE)
    except Exception:  # no pyspark, or no Spark context here: the other places were all there is
        return


@dataclass(frozen=True)
class InputField:
    """One row of the contract's field table: faults are reported in the table's order."""

    name: str
    kind: str
    required: bool


@dataclass(frozen=True)
class PartitionKey:
    """A partition folder of `transformed` (`year=2026`): its name, the column it comes from, its format
    in the contract's notation (YYYY, MM, DD)."""

    name: str
    source: str
    format: str


@dataclass(frozen=True)
class SessionsTable:
    """The contract's `sessions` table: its folder in the transformed bucket (`sessions/`), its columns in
    order with their Spark types, the column its partitions come from, and the event order that decides a
    session's first and last event."""

    folder: str
    columns: tuple[tuple[str, str], ...]
    partition_from: str
    order: tuple[str, ...]


@dataclass(frozen=True)
class Contract:
    """contract/data-contract.json as loaded (`data`, from `path`), with the values the rules and the job
    read from it. Immutable and picklable: the job ships it to the executors with the work."""

    path: str
    data: Mapping[str, Any]
    input_fields: tuple[InputField, ...]
    known_fields: frozenset[str]
    reasons: tuple[str, ...]
    messages: Mapping[str, str]
    whitespace: str
    max_record_bytes: int
    max_object_bytes: int
    max_compression_ratio: float
    max_decompressed_bytes: int
    # The raw text kept in a reject, in characters (an oversized record or object keeps its beginning).
    max_reject_raw_chars: int
    max_quantity: int
    max_unknown_field_names: int
    min_event_time_ms: int
    default_future_tolerance_hours: float
    event_categories: Mapping[str, str]
    other_category: str
    # Output columns of `transformed`, in order, with their Spark types.
    columns: tuple[tuple[str, str], ...]
    partition_keys: tuple[PartitionKey, ...]
    # The fields of an errors/ line, in the order they are written.
    reject_fields: tuple[str, ...]
    parquet_compression: str
    duplicate_across_runs_message: str
    sessions: SessionsTable

    def message(self, reason: str, **values: object) -> str:
        """A reject's message, from the contract's template for its reason."""
        return self.messages[reason].format(**values)


def contract_from(data: Mapping[str, Any], path: str) -> Contract:
    """The Contract of the parsed file at `path`; ValueError when it names a field kind this module cannot
    judge."""
    fields = tuple(InputField(f["name"], f["kind"], f["required"]) for f in data["inputFields"])
    unknown_kinds = sorted({f.kind for f in fields} - set(FIELD_KINDS))
    if unknown_kinds:
        raise ValueError("%s names field kinds this engine cannot judge: %s" % (path, unknown_kinds))
    if sorted(data["rejectFields"]) != sorted(REJECT_FIELDS):
        raise ValueError("%s: rejectFields must name %s, in any order" % (path, ", ".join(REJECT_FIELDS)))
    limits = data["limits"]
    whitespace = data["whitespace"]
    min_event_time_ms = timestamp_millis(limits["minEventTime"], whitespace)
    if min_event_time_ms is None:
        raise ValueError("%s: limits.minEventTime is not an ISO-8601 time" % path)
    return Contract(
        path=path,
        data=data,
        input_fields=fields,
        # Dropped on purpose (personal data, free-form payloads): never counted as schema drift.
        known_fields=frozenset([f.name for f in fields] + list(data["droppedFields"])),
        reasons=tuple(reason["code"] for reason in data["reasons"]),
        messages={reason["code"]: reason["message"] for reason in data["reasons"]},
        whitespace=whitespace,
        max_record_bytes=limits["maxRecordBytes"],
        max_object_bytes=limits["maxObjectBytes"],
        max_compression_ratio=limits["maxCompressionRatio"],
        max_decompressed_bytes=limits["maxDecompressedBytes"],
        max_reject_raw_chars=limits["maxRejectRawChars"],
        max_quantity=limits["maxQuantity"],
        max_unknown_field_names=limits["maxUnknownFieldNames"],
        min_event_time_ms=min_event_time_ms,
        default_future_tolerance_hours=limits["defaultFutureToleranceMs"] / 3600000,
        event_categories=dict(data["eventCategories"]),
        other_category=data["otherCategory"],
        columns=tuple((column["name"], column["spark"]) for column in data["columns"]),
        partition_keys=tuple(PartitionKey(k["name"], k["from"], k["format"]) for k in data["partitionKeys"]),
        reject_fields=tuple(data["rejectFields"]),
        parquet_compression=data["parquet"]["compression"],
        duplicate_across_runs_message=data["duplicateAcrossRunsMessage"],
        sessions=SessionsTable(
            folder=data["sessions"]["folder"],
            columns=tuple((column["name"], column["spark"]) for column in data["sessions"]["columns"]),
            partition_from=data["sessions"]["partitionFrom"],
            order=tuple(data["sessions"]["order"]),
        ),
    )


def load_contract(path: str | None = None) -> Contract:
    """contract/data-contract.json, the data contract every engine loads: from `path`, or the first of
    contract_paths() that exists."""
    tried = []
    for candidate in [path] if path else contract_paths():
        if os.path.isfile(candidate):
            with open(candidate, encoding="utf-8") as handle:
                return contract_from(json.load(handle), candidate)
        tried.append(candidate)
    raise FileNotFoundError("%s not found (looked in: %s)" % (CONTRACT_FILE, ", ".join(tried)))


class Reject(Exception):
    """A record that cannot be transformed: one of REASONS, the field at fault (or None), a message."""

    def __init__(self, reason: str, field: str | None, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str | None]:
        return {"reason": self.reason, "field": self.field, "message": self.message}


# ---------------------------------------------------------------------------------------------
# JSON value kinds, as DuckDB's json_type() names them for the TypeScript engine
# ---------------------------------------------------------------------------------------------

_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1


def _kind(value: object) -> str:
    """'NULL', 'VARCHAR', 'BOOLEAN', 'INT' (a JSON integer literal within int64/uint64), 'DOUBLE',
    'OBJECT' or 'ARRAY'. An integer literal too big for 64 bits is a DOUBLE, as in DuckDB."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, str):
        return "VARCHAR"
    if isinstance(value, int):
        return "INT" if _INT64_MIN <= value <= _UINT64_MAX else "DOUBLE"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, dict):
        return "OBJECT"
    return "ARRAY"


def _as_float(value: float) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


# What RE2's \s matches (the numeric-string patterns of the SQL rules).
_RE2_SPACE = " \t\n\f\r"


# ---------------------------------------------------------------------------------------------
# Timestamps
# ---------------------------------------------------------------------------------------------

_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])"
    r"(\.[0-9]{1,9})?(Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
)
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


_NUMBER_LITERAL = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?")


def _decompose(text: str) -> tuple[bool, str, int] | None:
    """(negative, digits, point): a number literal's digits and where its decimal point falls in them."""
    m = _NUMBER_LITERAL.fullmatch(text)
    if not m:
        return None
    return m.group(1) == "-", m.group(2) + (m.group(3) or ""), len(m.group(2)) + int(m.group(4) or 0)


def _fraction_digits(digits: str, point: int) -> str:
    return digits if point <= 0 else digits[point:]


def _floor_shifted(text: str, shift: int) -> int | None:
    """floor(value * 10**shift) of a literal, exactly; None past 18 integer digits (far outside any range
    the contract accepts, where the double's answer serves) or for a text that is not a number."""
    parts = _decompose(text)
    if parts is None:
        return None
    negative, digits, point = parts
    point += shift
    if point > 18:
        return None
    whole = 0 if point <= 0 else int(digits[:point].ljust(point, "0"))
    if not negative:
        return whole
    return -whole - 1 if any(c != "0" for c in _fraction_digits(digits, point)) else -whole


def _literal_millis(text: str) -> int | None:
    """The contract's epoch milliseconds of a number literal, exactly (see timestamp_millis), or None."""
    whole = _floor_shifted(text, 0)
    if whole is None:
        return None
    return whole if whole >= 100_000_000_000 else _floor_shifted(text, 3)


def _whole_literal(text: str) -> bool:
    """Whether a number literal is a whole number as written (2.50e1 is, 1e-428 is not)."""
    parts = _decompose(text)
    return parts is not None and all(c == "0" for c in _fraction_digits(parts[1], parts[2]))


def timestamp_millis(value: object, whitespace: str) -> int | None:
    """Epoch milliseconds of a raw `timestamp` value, or None when it does not parse.

    ISO-8601 (`T` or space, 0-9 fraction digits truncated to milliseconds, `Z`, `±HH:MM` or no zone =
    UTC) or a JSON number of epoch milliseconds (>= 1e11) or seconds (< 1e11). A text is trimmed of the
    contract's whitespace first.
    """
    kind = _kind(value)
    if kind in ("INT", "DOUBLE"):
        number = _as_float(value)
        if not math.isfinite(number):
            return None
        exact = _literal_millis(value.text) if isinstance(value, _Literal) else None
        if exact is not None:
            return exact
        return math.floor(number) if number >= 1e11 else math.floor(number * 1000)
    if kind != "VARCHAR":
        return None
    match = _ISO.fullmatch(value.strip(whitespace))
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        local = _dt.datetime(year, month, day, hour, minute, second, tzinfo=_dt.UTC)
    except ValueError:
        return None  # 2026-02-30 and friends
    fraction = match.group(7) or "."
    millis = int((fraction[1:4] + "000")[:3])
    ms = (local - _EPOCH) // _dt.timedelta(milliseconds=1) + millis
    zone = match.group(8)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        ms -= sign * (int(zone[1:3]) * 60 + int(zone[4:6])) * 60000
    return ms


def from_millis(ms: int) -> _dt.datetime:
    """An aware UTC datetime of epoch milliseconds."""
    return _EPOCH + _dt.timedelta(milliseconds=ms)


def format_timestamp(instant: _dt.datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.sssZ` in UTC."""
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (instant.microsecond // 1000)


def parse_now(text: str) -> _dt.datetime:
    """The processing time given as ISO-8601 (vectors, --now), as an aware UTC datetime."""
    ms = timestamp_millis(text, "")
    if ms is None:
        raise ValueError("not an ISO-8601 time: %r" % text)
    return from_millis(ms)


# ---------------------------------------------------------------------------------------------
# Fields: each returns the value or raises Reject; faults are reported in INPUT_FIELDS order
# ---------------------------------------------------------------------------------------------

_NUMERIC_STRING = re.compile(r"[ \t\n\f\r]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\n\f\r]*")
_INTEGER_STRING = re.compile(r"[ \t\n\f\r]*[+-]?[0-9]+[ \t\n\f\r]*")


def _missing(name: str, contract: Contract) -> Reject:
    return Reject("missing_field", name, contract.message("missing_field", field=name))


def _invalid(name: str, contract: Contract) -> Reject:
    return Reject("invalid_field", name, contract.message("invalid_field", field=name))


def _id_value(record: Mapping[str, Any], name: str, required: bool, contract: Contract) -> str | None:
    """A string (trimmed) or an integer (as text); blank = absent."""
    value = record.get(name)
    kind = _kind(value)
    if kind == "NULL" or (kind == "VARCHAR" and value.strip(contract.whitespace) == ""):
        if required:
            raise _missing(name, contract)
        return None
    if kind == "VARCHAR":
        return value.strip(contract.whitespace)
    if kind == "INT":
        return str(value)
    raise _invalid(name, contract)


def _text_value(record: Mapping[str, Any], name: str, contract: Contract) -> str | None:
    """Optional text kept verbatim ("" → NULL); an integer becomes its text."""
    value = record.get(name)
    kind = _kind(value)
    if kind == "NULL":
        return None
    if kind == "VARCHAR":
        return value if value != "" else None
    if kind == "INT":
        return str(value)
    raise _invalid(name, contract)


def _event_type(record: Mapping[str, Any], name: str, contract: Contract) -> str:
    value = record.get(name)
    kind = _kind(value)
    if kind == "NULL" or (kind == "VARCHAR" and value.strip(contract.whitespace) == ""):
        raise _missing(name, contract)
    if kind != "VARCHAR":
        raise _invalid(name, contract)
    return value.strip(contract.whitespace).lower()


def _timestamp(record: Mapping[str, Any], now_ms: int, future_tolerance_ms: int, name: str, contract: Contract) -> int:
    value = record.get(name)
    kind = _kind(value)
    if kind == "NULL" or (kind == "VARCHAR" and value.strip(contract.whitespace) == ""):
        raise _missing(name, contract)
    ms = timestamp_millis(value, contract.whitespace)
    if ms is None:
        raise Reject("invalid_timestamp", name, contract.message("invalid_timestamp", value=str(value)[:100]))
    if ms < contract.min_event_time_ms or ms > now_ms + future_tolerance_ms:
        raise Reject(
            "timestamp_out_of_range",
            name,
            contract.message(
                "timestamp_out_of_range", value=str(value)[:100], hours=round(future_tolerance_ms / 3600000)
            ),
        )
    return ms


def _lowercase_text(record: Mapping[str, Any], name: str, contract: Contract) -> str | None:
    value = record.get(name)
    kind = _kind(value)
    if kind == "NULL":
        return None
    if kind != "VARCHAR":
        raise _invalid(name, contract)
    return value.lower() or None


def _price(record: Mapping[str, Any], name: str, contract: Contract) -> float | None:
    value = record.get(name)
    kind = _kind(value)
    if kind == "NULL" or (kind == "VARCHAR" and value == ""):
        return None
    if kind in ("INT", "DOUBLE"):
        number = _as_float(value)
    elif kind == "VARCHAR" and _NUMERIC_STRING.fullmatch(value):
        number = float(value.strip(_RE2_SPACE))
    else:
        raise _invalid(name, contract)
    if not math.isfinite(number) or number < 0:
        raise _invalid(name, contract)
    return number


def _quantity(record: Mapping[str, Any], name: str, contract: Contract) -> int | None:
    value = record.get(name)
    kind = _kind(value)
    if kind == "NULL" or (kind == "VARCHAR" and value == ""):
        return None
    if kind == "INT":
        number = value
    elif kind == "DOUBLE":
        number = _as_float(value)
        if not math.isfinite(number) or number != math.floor(number):
            raise _invalid(name, contract)
        if isinstance(value, _Literal) and not _whole_literal(value.text):
            raise _invalid(name, contract)
        number = int(number)
    elif kind == "VARCHAR" and _INTEGER_STRING.fullmatch(value):
        number = int(value.strip(_RE2_SPACE))
    else:
        raise _invalid(name, contract)
    if not 0 <= number <= contract.max_quantity:
        raise _invalid(name, contract)
    return number


_JSON_BLANKS = " \t\n\r"


def _skip_blanks(text: str, i: int) -> int:
    while i < len(text) and text[i] in _JSON_BLANKS:
        i += 1
    return i


def _members(text: str, start: int) -> Iterator[tuple[str, int, int]]:
    """(key, value start, value end) of each member of the JSON object opening at `start`."""
    i = _skip_blanks(text, start + 1)
    if text[i] == "}":
        return
    while True:
        key, i = json.decoder.scanstring(text, i + 1)
        i = _skip_blanks(text, i) + 1  # past the colon
        value_start = _skip_blanks(text, i)
        _, value_end = _DECODER.raw_decode(text, value_start)
        yield key, value_start, value_end
        i = _skip_blanks(text, value_end)
        if text[i] != ",":
            return
        i = _skip_blanks(text, i + 1)


def properties_from_text(text: str, field: str = "properties") -> list[list[str]] | None:
    """The properties map of a record from its exact text: [key, value] pairs in order of first
    appearance; a string value as is, null no entry, any other value its JSON text as written.
    None when there is no entry. The text must be valid JSON holding an object."""
    start = _skip_blanks(text, 0)
    value_at = None
    for key, value_start, _ in _members(text, start):
        if key == field:
            value_at = value_start  # the first occurrence counts
            break
    if value_at is None or text[value_at] != "{":
        return None
    seen, entries = set(), []
    for key, value_start, value_end in _members(text, value_at):
        if key in seen:
            continue
        seen.add(key)
        written = text[value_start:value_end]
        if written == "null":
            continue
        entries.append([key, json.loads(written) if written.startswith('"') else written])
    return entries or None


def _properties(
    record: Mapping[str, Any], raw: str | bytes | None, name: str, contract: Contract
) -> list[list[str]] | None:
    value = record.get(name)
    kind = _kind(value)
    if kind == "NULL":
        return None
    if kind != "OBJECT":
        raise _invalid(name, contract)
    if raw is None:
        raise ValueError("properties need the record's text")
    return properties_from_text(raw_text(raw), name)


def transform_record(
    record: object,
    now: _dt.datetime,
    contract: Contract,
    future_tolerance_hours: float | None = None,
    categories: Mapping[str, str] | None = None,
    other_category: str | None = None,
    raw: str | bytes | None = None,
) -> dict[str, Any]:
    """Applies the per-record rules to one parsed JSON value (`now`: aware datetime of processing).

    Returns the output row (every column but event_sequence, is_session_start, processed_timestamp,
    plus `unknown_fields`, the sorted names of fields dropped as schema drift). Raises Reject with the
    first fault in the contract's field order; rule options left unset are the contract's defaults.
    `raw` is the record's exact text (str or UTF-8 bytes): the properties map keeps non-string values as
    written there.
    """
    if not isinstance(record, dict):
        raise Reject("not_an_object", None, contract.message("not_an_object", type=_describe(record)))
    categories = contract.event_categories if categories is None else categories
    other_category = contract.other_category if other_category is None else other_category
    if future_tolerance_hours is None:
        future_tolerance_hours = contract.default_future_tolerance_hours
    now_ms = (now - _EPOCH) // _dt.timedelta(milliseconds=1)
    tolerance_ms = round(future_tolerance_hours * 3600000)
    values = {}
    # The contract's field table decides the order of the checks, so the first fault is its first.
    for field in contract.input_fields:
        name, kind = field.name, field.kind
        if kind == "id":
            values[name] = _id_value(record, name, field.required, contract)
        elif kind == "event_type":
            values[name] = _event_type(record, name, contract)
        elif kind == "timestamp":
            values[name] = from_millis(_timestamp(record, now_ms, tolerance_ms, name, contract))
        elif kind == "text":
            values[name] = _text_value(record, name, contract)
        elif kind == "lowercase_text":
            values[name] = _lowercase_text(record, name, contract)
        elif kind == "price":
            values[name] = _price(record, name, contract)
        elif kind == "quantity":
            values[name] = _quantity(record, name, contract)
        elif kind == "properties":
            values[name] = _properties(record, raw, name, contract)
        else:
            raise ValueError("the contract names a field kind this engine does not know: %s" % kind)
    instant = values.pop("timestamp")
    row = dict(values)
    row.update(
        {
            "event_category": categories.get(row["event_type"], other_category),
            "timestamp": format_timestamp(instant),
            "event_time": instant,
            "event_date": instant.date(),
            "hour": instant.hour,
        }
    )
    row["has_product_data"] = row["product_id"] is not None
    row["has_price_data"] = row["price"] is not None
    row["unknown_fields"] = sorted(set(name for name in record if name not in contract.known_fields))
    return row


# ---------------------------------------------------------------------------------------------
# Framing: one raw object's bytes → records (the twin of src/transform/record-splitter.ts)
# ---------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> None:
    raise ValueError("%s is not JSON" % name)


# JSON as JavaScript's JSON.parse reads it: NaN and Infinity are not JSON.
class _Literal(float):
    """A JSON number with a fraction or an exponent, as a float that keeps its literal: a double rounds
    1764064800.1239999999 up and reads 1e-428 as 0, the contract judges the number as written."""


def _literal_float(text: str) -> _Literal:
    number = _Literal(text)
    number.text = text
    return number


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_literal_float)

_LF, _CR, _SPACE, _TAB = 0x0A, 0x0D, 0x20, 0x09
_OPEN_BRACE, _CLOSE_BRACE, _OPEN_BRACKET, _CLOSE_BRACKET = 0x7B, 0x7D, 0x5B, 0x5D
_QUOTE, _BACKSLASH, _COMMA = 0x22, 0x5C, 0x2C
_BLANK = (_SPACE, _TAB, _CR, _LF)
_SCALAR_STOP = frozenset((_SPACE, _TAB, _CR, _LF, _COMMA, _CLOSE_BRACE, _CLOSE_BRACKET, _OPEN_BRACE, _OPEN_BRACKET))


class Framed:
    """One record found in an object: its 1-based start line, exact bytes, and parsed value or Reject."""

    __slots__ = ("line", "raw", "reject", "value")

    def __init__(
        self, line: int, raw: bytes, value: dict[str, Any] | None = None, reject: Reject | None = None
    ) -> None:
        self.line = line
        self.raw = raw
        self.value = value
        self.reject = reject


def decode_object(data: bytes, contract: Contract, key: str = "") -> bytes:
    """Object bytes as stored → JSON text bytes. Compression is decided from the whole object, never
    from its first bytes alone: an object named `.gz` (as Firehose names compressed objects) must be
    gzip; any other object is gunzipped only when its bytes, as a whole, are one or more complete gzip
    members (zero padding after them allowed), and read as text otherwise. Then a UTF-8 BOM is dropped.
    Raises Reject("unreadable_object") for a `.gz` object that does not decompress."""
    return decode_object_parts(data, contract, key)[0]


def decode_object_parts(data: bytes, contract: Contract, key: str = "") -> tuple[bytes, str | None]:
    """decode_object, and the reject of a `.gz` object's broken tail (None when whole): a `.gz` object
    keeps every complete member before junk, and every complete line before a damaged or cut member.
    A plain object is read whatever its size; gzip bytes under another name keep maxObjectBytes."""
    if key.endswith(".gz"):
        text, tail = _gunzip_members(data, contract)
        return (text[3:] if text[:3] == b"\xef\xbb\xbf" else text), tail
    if data[:2] == b"\x1f\x8b" and len(data) > contract.max_object_bytes:
        raise _too_big(data, "", contract)
    if data[:2] == b"\x1f\x8b":
        try:
            _check_gunzipped_size(data, contract)
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            pass  # not a complete gzip stream (a record that merely starts with the magic bytes): text
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    return data, None


def _gunzip_members(data: bytes, contract: Contract) -> tuple[bytes, str | None]:
    """A `.gz` object's text, member by member, within the gzip-bomb limits (the contract's limit notes),
    and the reject of what follows the last good member (None when nothing does). Nothing readable at all
    raises Reject("unreadable_object")."""
    cap = min(
        contract.max_decompressed_bytes, max(contract.max_object_bytes, contract.max_compression_ratio * len(data))
    )
    out, size, rest, prefix = [], 0, data, b""
    tail = None
    while rest:
        if rest[:2] != b"\x1f\x8b":
            if rest.strip(b"\x00"):
                tail = "the bytes after the object's last complete gzip member (from byte %d) are not gzip" % (
                    len(data) - len(rest)
                )
            break
        stream = zlib.decompressobj(31)
        member, ok = [], True
        pending = rest
        while pending:
            try:
                chunk = stream.decompress(pending, 1 << 20)
            except zlib.error as error:
                ok, tail = False, str(error)
                break
            size += len(chunk)
            if len(prefix) < contract.max_reject_raw_chars:
                prefix += chunk[: contract.max_reject_raw_chars - len(prefix)]
            if size > cap:
                raise ObjectTooLarge(
                    "the object decompresses to over %d bytes (%d bytes compressed; the limits are "
                    "transform.maxCompressionRatio and transform.maxDecompressedBytes)" % (cap, len(data)),
                    bytes(prefix[: contract.max_reject_raw_chars]),
                )
            member.append(chunk)
            pending = stream.unconsumed_tail
            if stream.eof:
                break
        if ok and not stream.eof:
            ok, tail = False, "the gzip data is cut short"
        if not ok:
            # Damaged or cut short: keep the complete lines before the break.
            text = b"".join(member)
            cut = text.rfind(b"\n") + 1
            out.append(text[:cut])
            tail = "the gzip data breaks off after %d decompressed bytes (%s); the records before it are kept" % (
                sum(len(o) for o in out),
                tail,
            )
            break
        out.append(b"".join(member))
        rest = stream.unused_data
    text = b"".join(out)
    if not text and tail is not None:
        raise Reject("unreadable_object", None, contract.message("unreadable_object", detail=tail))
    if tail is not None and not tail.startswith("the gzip data breaks off"):
        tail += "; the records before them are kept"
    return text, tail


class ObjectTooLarge(Reject):
    """An object over maxObjectBytes (decompressed): one unreadable_object line keeping its beginning."""

    def __init__(self, message_text: str, prefix: bytes) -> None:
        super().__init__("unreadable_object", None, message_text)
        self.prefix = prefix


def _too_big(prefix: bytes, what: str, contract: Contract) -> ObjectTooLarge:
    return ObjectTooLarge(
        "the object is over %d bytes%s (the limit of one raw object)"
        % (contract.max_object_bytes, " " + what if what else ""),
        bytes(prefix[: contract.max_reject_raw_chars]),
    )


def _check_gunzipped_size(data: bytes, contract: Contract) -> None:
    """Raises ObjectTooLarge when the gzip members in data decompress past maxObjectBytes, holding at most
    one chunk at a time (a gzip bomb costs bounded memory). Corrupt data is left to gzip.decompress."""
    size, prefix, rest = 0, b"", data
    while rest[:2] == b"\x1f\x8b":
        stream = zlib.decompressobj(31)
        while rest:
            try:
                chunk = stream.decompress(rest, 1 << 20)
            except zlib.error:
                return
            size += len(chunk)
            if len(prefix) < contract.max_reject_raw_chars:
                prefix += chunk[: contract.max_reject_raw_chars - len(prefix)]
            if size > contract.max_object_bytes:
                raise _too_big(prefix, "decompressed", contract)
            rest = stream.unconsumed_tail
            if stream.eof:
                rest = stream.unused_data
                break


def raw_text(raw: str | bytes) -> str:
    """A record's original text for errors/ (bytes that are not UTF-8 shown as U+FFFD)."""
    if isinstance(raw, str):
        return raw
    return raw.decode("utf-8", "replace")


def _parse(raw: bytes) -> tuple[bool, Any]:
    """(True, value) when the bytes are UTF-8 JSON text, else (False, None)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False, None
    try:
        value, end = _DECODER.raw_decode(text.strip(" \t\r\n"))
    except ValueError:
        return False, None
    if end != len(text.strip(" \t\r\n")):
        return False, None
    # A lone surrogate escape ("\ud800") decodes to text no UTF-8 can hold: not JSON text, as in DuckDB.
    if "\\u" in text and _has_lone_surrogate(value):
        return False, None
    return True, value


def _has_lone_surrogate(value: object) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


_STRUCTURE = re.compile(rb'["{}\[\]]')
_IN_STRING = re.compile(rb'["\\\n]')


def scan_value(buf: bytes, start: int) -> int:
    """End (exclusive) of the JSON value starting at `start`, matching brackets and skipping strings,
    or -1 when it is cut short (end of data, or a raw newline inside a string, which JSON forbids).
    Only the structure is checked; the parser decides validity. Jumps between structural bytes with
    compiled patterns, so long records cost C speed, not a Python loop per byte."""
    first = buf[start]
    n = len(buf)
    if first in (_OPEN_BRACE, _OPEN_BRACKET):
        depth = 0
        i = start
        while True:
            match = _STRUCTURE.search(buf, i)
            if match is None:
                return -1
            i = match.start()
            b = buf[i]
            if b == _QUOTE:
                i = _skip_string(buf, i)
                if i < 0:
                    return -1
            elif b in (_OPEN_BRACE, _OPEN_BRACKET):
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
    if first == _QUOTE:
        close = _skip_string(buf, start)
        return -1 if close < 0 else close + 1
    i = start
    while i < n and buf[i] not in _SCALAR_STOP:
        i += 1
    return i if i > start else -1


def _skip_string(buf: bytes, open_at: int) -> int:
    """Index of the quote closing the string opened at `open_at`, or -1 (raw newline or end first)."""
    i = open_at + 1
    while True:
        match = _IN_STRING.search(buf, i)
        if match is None:
            return -1
        i = match.start()
        b = buf[i]
        if b == _QUOTE:
            return i
        if b == _LF:
            return -1
        i += 2  # a backslash escapes the next byte


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an object"


class _Splitter:
    """Line-oriented scan: each line holds values (objects, arrays of values, scalars); a value that
    does not parse costs the text up to the first newline after its start, and scanning resumes on the
    next line."""

    def __init__(self, buf: bytes, contract: Contract) -> None:
        self.buf = buf
        self.contract = contract
        self.pos = 0
        self.line = 1
        self.out: list[Framed] = []

    def run(self) -> list[Framed]:
        buf = self.buf
        n = len(buf)
        while self.pos < n:
            line_end = buf.find(b"\n", self.pos)
            if line_end < 0:
                line_end = n
            start = self.pos
            while start < line_end and buf[start] in _BLANK:
                start += 1
            if start == line_end:
                self.pos = line_end + 1
                self.line += 1
                continue
            end = line_end
            while end > start and buf[end - 1] in _BLANK:
                end -= 1
            # Fast path, as in the TypeScript splitter: a line that looks like one object is one record
            # when it parses; otherwise the line is re-scanned value by value.
            if buf[start] == _OPEN_BRACE and buf[end - 1] == _CLOSE_BRACE and buf.find(b"}{", start, end) < 0:
                if end - start > self.contract.max_record_bytes:
                    self._too_large(start, end)
                    self.pos = line_end + 1
                    self.line += 1
                    continue
                raw = buf[start:end]
                ok, value = _parse(raw)
                if ok and isinstance(value, dict):
                    self.out.append(Framed(self.line, raw, value=value))
                    self.pos = line_end + 1
                    self.line += 1
                    continue
            self.pos = start
            self._scan_until_line_boundary()
        return self.out

    def _advance_to(self, to: int) -> None:
        self.line += self.buf.count(b"\n", self.pos, to)
        self.pos = to

    def _skip_space(self) -> None:
        p = self.pos
        buf = self.buf
        while p < len(buf) and buf[p] in _BLANK:
            p += 1
        self._advance_to(p)

    def _at_line_end(self) -> bool:
        buf = self.buf
        p = self.pos
        while p < len(buf) and buf[p] in (_SPACE, _TAB, _CR):
            p += 1
        if p >= len(buf):
            self.pos = p
            return True
        if buf[p] == _LF:
            self.pos = p + 1
            self.line += 1
            return True
        return False

    def _scan_until_line_boundary(self) -> None:
        buf = self.buf
        in_array = False
        while True:
            self._skip_space()
            if self.pos >= len(buf):
                return
            b = buf[self.pos]
            if in_array:
                if b == _COMMA:
                    self._advance_to(self.pos + 1)
                    continue
                if b == _CLOSE_BRACKET:
                    self._advance_to(self.pos + 1)
                    in_array = False
                    if self._at_line_end():
                        return
                    continue
            elif b == _OPEN_BRACKET:
                in_array = True
                self._advance_to(self.pos + 1)
                continue
            start, start_line = self.pos, self.line
            if not in_array and b != _OPEN_BRACE:
                # A top-level non-object counts line by line: a scalar alone on its line is
                # not_an_object, anything else there (fragments of a broken record) is malformed.
                self._scalar_line(start, start_line)
                return
            end = scan_value(buf, start)
            if end > 0 and end - start > self.contract.max_record_bytes:
                self._too_large(start, end)
                self._advance_to(end)
            elif end > 0 and self._emit_parsed(start, end, start_line):
                self._advance_to(end)
            else:
                self._malformed(start, start_line)
                if self.pos >= len(buf) or not in_array:
                    return
                continue
            if not in_array and self._at_line_end():
                return

    def _line_stop(self, start: int) -> int:
        stop = self.buf.find(b"\n", start)
        return len(self.buf) if stop < 0 else stop

    def _trimmed_end(self, start: int, stop: int) -> int:
        end = stop
        while end > start and self.buf[end - 1] in _BLANK:
            end -= 1
        return end

    def _resume_after(self, stop: int, line: int) -> None:
        self._advance_to(min(stop + 1, len(self.buf)))
        if stop < len(self.buf):
            self.line = line + 1

    def _scalar_line(self, start: int, line: int) -> None:
        stop = self._line_stop(start)
        raw = self.buf[start : self._trimmed_end(start, stop)]
        ok, value = _parse(raw)
        if not ok:
            self._malformed(start, line)
            return
        self.out.append(
            Framed(
                line,
                raw,
                reject=Reject("not_an_object", None, self.contract.message("not_an_object", type=_describe(value))),
            )
        )
        self._resume_after(stop, line)

    def _emit_parsed(self, start: int, end: int, line: int) -> bool:
        raw = self.buf[start:end]
        ok, value = _parse(raw)
        if not ok:
            return False
        if not isinstance(value, dict):
            self.out.append(
                Framed(
                    line,
                    raw,
                    reject=Reject("not_an_object", None, self.contract.message("not_an_object", type=_describe(value))),
                )
            )
        else:
            self.out.append(Framed(line, raw, value=value))
        return True

    def _malformed(self, start: int, line: int) -> None:
        stop = self._line_stop(start)
        raw = self.buf[start : self._trimmed_end(start, stop)]
        try:
            raw.decode("utf-8")
            message = "the text is not valid JSON"
        except UnicodeDecodeError:
            message = "the bytes are not valid UTF-8 (JSON text must be UTF-8)"
        self.out.append(Framed(line, raw, reject=Reject("malformed_json", None, message)))
        self._resume_after(stop, line)

    def _too_large(self, start: int, end: int) -> None:
        self.out.append(
            Framed(
                self.line,
                self.buf[start:end],
                reject=Reject(
                    "record_too_large",
                    None,
                    self.contract.message("record_too_large", bytes=end - start, limit=self.contract.max_record_bytes),
                ),
            )
        )


def split_records(data: bytes, contract: Contract, key: str = "") -> list[Framed]:
    """Every record of one raw object (bytes), in order, as Framed.

    Framings: NDJSON (LF or CRLF), JSON values concatenated with no delimiter, JSON arrays (each
    element a record, pretty-printed or not), mixtures of these, gzip-compressed or not, with or
    without a UTF-8 BOM. Raises Reject("unreadable_object") when the object cannot be read at all.
    """
    return _Splitter(decode_object(data, contract, key), contract).run()


def load_vector_bytes(case: Mapping[str, str]) -> bytes:
    """Bytes of a framing vector case (`text` or `base64`)."""
    if "base64" in case:
        return base64.b64decode(case["base64"])
    return case["text"].encode("utf-8")


def frame_object(
    data: bytes, source: str, now: _dt.datetime, contract: Contract, **rule_options: Any
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Frames and transforms one raw object: every record found, in the order it was found, as
    ("row", row) or ("reject", errors/ line). One item per record read (an unreadable object is one
    reject), so counting the items counts the records read.

    Each row carries `_line` (where it starts) and `_raw` (its text, for a later duplicate reject); each
    reject is the errors/ line `{"reason","field","message","source","line","raw"}`.
    """
    try:
        text, tail = decode_object_parts(data, contract, source)
        framed_records = _Splitter(text, contract).run()
    except Reject as reject:
        yield "reject", reject_line(reject, source, None, getattr(reject, "prefix", ""), contract)
        return
    yield from _framed_items(framed_records, source, now, contract, rule_options)
    if tail is not None:
        tail_reject = Reject("unreadable_object", None, contract.message("unreadable_object", detail=tail))
        yield "reject", reject_line(tail_reject, source, None, "", contract)


def _framed_items(
    framed_records: list[Framed],
    source: str,
    now: _dt.datetime,
    contract: Contract,
    rule_options: Mapping[str, Any],
) -> Iterator[tuple[str, dict[str, Any]]]:
    for framed in framed_records:
        if framed.reject is None:
            try:
                row = transform_record(framed.value, now, contract, raw=framed.raw, **rule_options)
            except Reject as reject:
                framed.reject = reject
            else:
                row["_line"] = framed.line
                row["_raw"] = raw_text(framed.raw)
                yield "row", row
                continue
        yield "reject", reject_line(framed.reject, source, framed.line, framed.raw, contract)


def process_object(
    data: bytes, source: str, now: _dt.datetime, contract: Contract, **rule_options: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Frames and transforms one raw object. Returns (rows, rejects), as frame_object finds them."""
    rows, rejects = [], []
    for kind, item in frame_object(data, source, now, contract, **rule_options):
        (rows if kind == "row" else rejects).append(item)
    return rows, rejects


def reject_line(reject: Reject, source: str, line: int | None, raw: str | bytes, contract: Contract) -> dict[str, Any]:
    """The NDJSON line written to errors/ for one rejected record, its fields in the contract's order."""
    return reject_fields_in_order(
        {
            "reason": reject.reason,
            "field": reject.field,
            "message": reject.message,
            "source": source,
            "line": line,
            "raw": raw_text(raw)[: contract.max_reject_raw_chars],
        },
        contract,
    )


def reject_fields_in_order(values: Mapping[str, Any], contract: Contract) -> dict[str, Any]:
    """An errors/ line with its fields in the contract's `rejectFields` order (contract_from checked that
    the contract names exactly REJECT_FIELDS)."""
    return {name: values[name] for name in contract.reject_fields}
