"""Per-record rules and object framing of the clickstream data contract (docs/data-contract.md).

Pure standard library so the Glue job ships it with --extra-py-files and `python3 -m unittest`
checks it here against the same golden vectors (test/vectors/*.json) as the TypeScript engine.
Table-level rules (duplicate event_id, event_sequence, is_session_start) live in the Spark job.
"""

import base64
import datetime as _dt
import gzip
import json
import math
import re
import zlib

REASONS = (
    "malformed_json",
    "not_an_object",
    "missing_field",
    "invalid_field",
    "invalid_timestamp",
    "timestamp_out_of_range",
    "record_too_large",
    "duplicate",
    "unreadable_object",
)

# Firehose's own per-record limit (1,000 KiB), applied to raw records too.
MAX_RECORD_BYTES = 1_024_000
DEFAULT_FUTURE_TOLERANCE_HOURS = 24
EARLIEST = _dt.datetime(2000, 1, 1, tzinfo=_dt.timezone.utc)

DEFAULT_EVENT_CATEGORIES = {
    "product_view": "browsing",
    "category_view": "browsing",
    "search": "browsing",
    "add_to_cart": "cart",
    "remove_from_cart": "cart",
    "checkout_start": "conversion",
    "payment_info": "conversion",
    "purchase": "conversion",
    "page_view": "engagement",
    "login": "engagement",
    "logout": "engagement",
    "signup": "engagement",
}
OTHER_CATEGORY = "other"

# Output columns of `transformed`, in order (src/transform/event-schema.ts).
COLUMNS = (
    "event_id", "user_id", "session_id", "event_type", "event_category", "timestamp", "event_time",
    "event_date", "hour", "page_url", "referrer", "product_id", "product_name", "product_category",
    "device_type", "price", "quantity", "has_product_data", "has_price_data", "event_sequence",
    "is_session_start", "processed_timestamp",
)
VERBATIM_FIELDS = ("page_url", "referrer", "product_id", "product_name", "product_category")
# Dropped on purpose (personal data, free-form payloads): never counted as schema drift.
DROPPED_FIELDS = ("user_agent", "ip_address", "additional_data")
# Input fields the rules read. event_category is derived, so an input value is ignored, not drift.
KNOWN_FIELDS = frozenset(
    ("event_id", "user_id", "session_id", "event_type", "event_category", "timestamp", "device_type",
     "price", "quantity") + VERBATIM_FIELDS + DROPPED_FIELDS
)

MAX_SAFE_INTEGER = 2**53 - 1  # ids arrive through JSON parsers that keep doubles only
MAX_BIGINT = 2**63 - 1


class Reject(Exception):
    """A record that cannot be transformed: one of REASONS, the field at fault (or None), a message."""

    def __init__(self, reason, field, message):
        super().__init__(message)
        self.reason = reason
        self.field = field
        self.message = message

    def as_dict(self):
        return {"reason": self.reason, "field": self.field, "message": self.message}


# ---------------------------------------------------------------------------------------------
# Timestamps
# ---------------------------------------------------------------------------------------------

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$"
)


def parse_timestamp(value):
    """The instant a raw `timestamp` names, as an aware UTC datetime truncated to milliseconds.

    Accepts ISO-8601 (`T` or space, 0-9 fraction digits, `Z`, `±HH:MM` or no zone = UTC) or a JSON
    number of epoch milliseconds (>= 1e11) or seconds (< 1e11). Raises Reject otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Reject("invalid_timestamp", "timestamp", "timestamp must be an ISO-8601 string or epoch number")
    if isinstance(value, str):
        return _parse_iso(value.strip())
    if isinstance(value, float) and not math.isfinite(value):
        raise Reject("invalid_timestamp", "timestamp", "timestamp is not a finite number")
    millis = value if abs(value) >= 1e11 else value * 1000
    millis = math.floor(millis)
    try:
        return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(milliseconds=millis)
    except OverflowError:
        raise Reject("timestamp_out_of_range", "timestamp", "epoch timestamp is outside the supported range")


def _parse_iso(text):
    match = _ISO.match(text)
    if not match:
        raise Reject("invalid_timestamp", "timestamp", "timestamp %r is not ISO-8601" % text[:64])
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = match.group(7) or ""
    millis = int((fraction + "000")[:3])
    zone = match.group(8)
    try:
        local = _dt.datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=_dt.timezone.utc)
    except ValueError:
        raise Reject("invalid_timestamp", "timestamp", "timestamp %r is not a valid date/time" % text[:64])
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            raise Reject("invalid_timestamp", "timestamp", "timestamp %r has an invalid offset" % text[:64])
        try:
            local = local - sign * _dt.timedelta(hours=hours, minutes=minutes)
        except OverflowError:
            raise Reject("timestamp_out_of_range", "timestamp", "timestamp is outside the supported range")
    return local


def format_timestamp(instant):
    """`YYYY-MM-DDTHH:MM:SS.sssZ` in UTC."""
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (instant.microsecond // 1000)


def parse_now(text):
    """The processing time given as ISO-8601 (vectors, --now)."""
    return _parse_iso(text.strip())


# ---------------------------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------------------------

def _is_blank(value):
    return value is None or (isinstance(value, str) and value.strip() == "")


def _id_value(record, name, required):
    value = record.get(name)
    if _is_blank(value):
        if required:
            raise Reject("missing_field", name, "%s is required" % name)
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Reject("invalid_field", name, "%s must be a string or an integer" % name)
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise Reject("invalid_field", name, "%s must be a string or an integer" % name)
    if abs(value) > MAX_SAFE_INTEGER:
        raise Reject("invalid_field", name, "%s is an integer beyond 2^53; send it as a string" % name)
    return str(int(value))


_NUMERIC = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def _number_value(record, name):
    value = record.get(name)
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, bool):
        raise Reject("invalid_field", name, "%s must be a number" % name)
    if isinstance(value, str):
        if not _NUMERIC.match(value.strip()):
            raise Reject("invalid_field", name, "%s %r is not a number" % (name, value[:64]))
        number = float(value.strip())
    elif isinstance(value, (int, float)):
        number = value
    else:
        raise Reject("invalid_field", name, "%s must be a number" % name)
    if isinstance(number, float) and not math.isfinite(number):
        raise Reject("invalid_field", name, "%s must be finite" % name)
    if number < 0:
        raise Reject("invalid_field", name, "%s must be >= 0" % name)
    return number


def _price(record):
    number = _number_value(record, "price")
    return None if number is None else float(number)


def _quantity(record):
    number = _number_value(record, "quantity")
    if number is None:
        return None
    if isinstance(number, float) and not number.is_integer():
        raise Reject("invalid_field", "quantity", "quantity must be an integer")
    if number > MAX_BIGINT:
        raise Reject("invalid_field", "quantity", "quantity is too large")
    return int(number)


def _verbatim(record, name):
    value = record.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    raise Reject("invalid_field", name, "%s must be a string" % name)


def _event_type(record):
    value = record.get("event_type")
    if _is_blank(value):
        raise Reject("missing_field", "event_type", "event_type is required")
    if not isinstance(value, str):
        raise Reject("invalid_field", "event_type", "event_type must be a string")
    return value.strip().lower()


def _device_type(record):
    value = record.get("device_type")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Reject("invalid_field", "device_type", "device_type must be a string")
    return value.lower()


def transform_record(record, now, future_tolerance_hours=DEFAULT_FUTURE_TOLERANCE_HOURS,
                     categories=None, other_category=OTHER_CATEGORY):
    """Applies the per-record rules to one parsed JSON value.

    Returns the output row (every column but event_sequence, is_session_start, processed_timestamp,
    plus `unknown_fields`, the sorted names of fields dropped as schema drift). Raises Reject.
    """
    if not isinstance(record, dict):
        raise Reject("not_an_object", None, "a record must be a JSON object, got %s" % _json_kind(record))
    categories = DEFAULT_EVENT_CATEGORIES if categories is None else categories
    event_id = _id_value(record, "event_id", True)
    user_id = _id_value(record, "user_id", True)
    session_id = _id_value(record, "session_id", False)
    event_type = _event_type(record)
    if _is_blank(record.get("timestamp")):
        raise Reject("missing_field", "timestamp", "timestamp is required")
    instant = parse_timestamp(record["timestamp"])
    latest = now + _dt.timedelta(hours=future_tolerance_hours)
    if instant < EARLIEST or instant > latest:
        raise Reject(
            "timestamp_out_of_range", "timestamp",
            "timestamp %s is before 2000-01-01 or more than %sh after processing time"
            % (format_timestamp(instant), future_tolerance_hours),
        )
    row = {
        "event_id": event_id,
        "user_id": user_id,
        "session_id": session_id,
        "event_type": event_type,
        "event_category": categories.get(event_type, other_category),
        "timestamp": format_timestamp(instant),
        "event_time": instant,
        "event_date": instant.date(),
        "hour": instant.hour,
    }
    for name in VERBATIM_FIELDS:
        row[name] = _verbatim(record, name)
    row["device_type"] = _device_type(record)
    row["price"] = _price(record)
    row["quantity"] = _quantity(record)
    row["has_product_data"] = row["product_id"] is not None
    row["has_price_data"] = row["price"] is not None
    row["unknown_fields"] = sorted(name for name in record if name not in KNOWN_FIELDS)
    return row


def _json_kind(value):
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


# ---------------------------------------------------------------------------------------------
# Framing: one raw object's bytes → records
# ---------------------------------------------------------------------------------------------

def _reject_constant(name):
    raise ValueError("%s is not JSON" % name)


# JSON as JavaScript's JSON.parse reads it: NaN/Infinity are not JSON.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_WS = " \t\r\n"


class Framed:
    """One record found in an object: its 1-based start line, exact text, and parsed value or Reject."""

    __slots__ = ("line", "raw", "value", "reject")

    def __init__(self, line, raw, value=None, reject=None):
        self.line = line
        self.raw = raw
        self.value = value
        self.reject = reject


def decode_object(data):
    """Object bytes → text: gunzip when the gzip magic bytes lead, strip a UTF-8 BOM.

    Bad UTF-8 is kept as surrogate escapes so that only the records containing it are rejected.
    Raises Reject("unreadable_object") for a corrupt compressed object.
    """
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise Reject("unreadable_object", None, "cannot gunzip: %s" % error)
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    return data.decode("utf-8", "surrogateescape")


def raw_text(text):
    """A record's text for errors/ (bad UTF-8 bytes shown as U+FFFD)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _has_bad_utf8(text):
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _byte_length(text):
    return len(text.encode("utf-8", "surrogateescape"))


class _Cursor:
    def __init__(self, text):
        self.text = text
        self.pos = 0
        self._line = 1
        self._line_pos = 0

    def line_at(self, pos):
        # Lines are counted incrementally: positions only move forward.
        self._line += self.text.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    def skip_ws(self):
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        self.pos = pos

    def next_newline(self, start):
        end = self.text.find("\n", start)
        return len(self.text) if end < 0 else end + 1


def split_records(data):
    """Yields a Framed for every record of one raw object (bytes), in order.

    Framings: NDJSON (LF or CRLF), JSON values concatenated with no delimiter, a top-level JSON
    array (each element is a record), any of them gzip-compressed, with or without a BOM.
    A record that does not parse is `malformed_json` and reading resumes at the first newline after
    the start of that record, so one bad line never costs the next one.
    Raises Reject("unreadable_object") when the object cannot be read at all.
    """
    cursor = _Cursor(decode_object(data))
    text = cursor.text
    while True:
        cursor.skip_ws()
        if cursor.pos >= len(text):
            return
        if text[cursor.pos] == "[":
            for framed in _split_array(cursor):
                yield framed
        else:
            yield _one_value(cursor, in_array=False)


def _one_value(cursor, in_array):
    """Parses one JSON value at the cursor (after whitespace) and advances past it."""
    text, start = cursor.text, cursor.pos
    line = cursor.line_at(start)
    try:
        value, end = _DECODER.raw_decode(text, start)
    except ValueError as error:
        end = cursor.next_newline(start)
        cursor.pos = end
        chunk = text[start:end].rstrip("\r\n")
        if in_array:
            # Inside an array the bad element ends at the newline; a trailing comma is framing.
            chunk = chunk.rstrip().rstrip(",").rstrip()
        return _reject_chunk(line, chunk, "malformed_json", "record is not valid JSON: %s" % _short(error))
    cursor.pos = end
    chunk = text[start:end]
    if _has_bad_utf8(chunk):
        return _reject_chunk(line, chunk, "malformed_json", "record is not valid UTF-8")
    if _byte_length(chunk) > MAX_RECORD_BYTES:
        return _reject_chunk(line, chunk, "record_too_large", "record is over %d bytes" % MAX_RECORD_BYTES)
    if not isinstance(value, dict):
        return Framed(line, chunk, reject=Reject(
            "not_an_object", None, "a record must be a JSON object, got %s" % _json_kind(value)))
    return Framed(line, chunk, value=value)


def _reject_chunk(line, chunk, reason, message):
    if reason == "malformed_json" and _byte_length(chunk) > MAX_RECORD_BYTES:
        reason, message = "record_too_large", "record is over %d bytes" % MAX_RECORD_BYTES
    return Framed(line, chunk, reject=Reject(reason, None, message))


def _split_array(cursor):
    text = cursor.text
    cursor.pos += 1  # "["
    expect_value = True
    while True:
        cursor.skip_ws()
        if cursor.pos >= len(text):
            return  # unterminated array: every complete element was already yielded
        ch = text[cursor.pos]
        if ch == "]":
            cursor.pos += 1
            return
        if ch == "," and not expect_value:
            cursor.pos += 1
            expect_value = True
            continue
        if ch == ",":
            cursor.pos += 1  # an empty element (",,") is a framing slip, not a record
            continue
        yield _one_value(cursor, in_array=True)
        expect_value = False


def _short(error):
    return str(error).split(":")[0][:120]


def load_vector_bytes(case):
    """Bytes of a framing vector case (`text` or `base64`)."""
    if "base64" in case:
        return base64.b64decode(case["base64"])
    return case["text"].encode("utf-8")


def process_object(data, source, now, **rule_options):
    """Frames and transforms one raw object. Returns (rows, rejects).

    Each row carries `_line`; each reject is the errors/ line
    `{"reason","field","message","source","line","raw"}`.
    """
    rows, rejects = [], []
    try:
        for framed in split_records(data):
            if framed.reject is None:
                try:
                    row = transform_record(framed.value, now, **rule_options)
                    row["_line"] = framed.line
                    rows.append(row)
                    continue
                except Reject as reject:
                    framed.reject = reject
            rejects.append(reject_line(framed.reject, source, framed.line, framed.raw))
    except Reject as reject:
        rejects.append(reject_line(reject, source, None, ""))
    return rows, rejects


def reject_line(reject, source, line, raw):
    """The NDJSON line written to errors/ for one rejected record."""
    return {
        "reason": reject.reason,
        "field": reject.field,
        "message": reject.message,
        "source": source,
        "line": line,
        "raw": raw_text(raw),
    }
