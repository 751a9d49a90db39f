#!/usr/bin/env python3
"""Writes test/vectors/*.json: the language-neutral golden vectors of the data contract.

Every expectation below is written by hand from docs/data-contract.md; this script only
spares us typing the default columns of each expected row. Run it after editing a case.
"""
import base64, gzip, json, os

NOW = "2026-11-25T12:00:00.000Z"
here = os.path.join(os.path.dirname(__file__), "..", "test", "vectors")

BASE = {"event_id": "v00", "user_id": "u1", "session_id": "s1", "event_type": "page_view",
        "timestamp": "2026-11-25T10:00:00.000Z"}

def raw(**fields):
    rec = dict(BASE)
    for k, v in fields.items():
        if v is DROP:
            rec.pop(k, None)
        else:
            rec[k] = v
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"))

DROP = object()

def row(**over):
    r = {"event_id": "v00", "user_id": "u1", "session_id": "s1", "event_type": "page_view",
         "event_category": "engagement", "timestamp": "2026-11-25T10:00:00.000Z",
         "event_time": "2026-11-25T10:00:00.000Z", "event_date": "2026-11-25", "hour": 10,
         "page_url": None, "referrer": None, "product_id": None, "product_name": None,
         "product_category": None, "device_type": None, "price": None, "quantity": None,
         "has_product_data": False, "has_price_data": False, "properties": None, "unknown_fields": []}
    r.update(over)
    if "timestamp" in over and "event_time" not in over:
        r["event_time"] = over["timestamp"]
    return r

cases = []
def ok(name, raw_text, **expect_row):
    cases.append({"name": name, "raw": raw_text, "expect": {"row": row(**expect_row)}})
def bad(name, raw_text, reason, field=None):
    cases.append({"name": name, "raw": raw_text, "expect": {"reject": {"reason": reason, "field": field}}})

# ---- accepted records and their normalisation
ok("minimal valid record", raw(event_id="v01"), event_id="v01")
ok("all fields, dropped personal fields are not unknown",
   raw(event_id="v02", event_type="product_view", page_url="https://shop.example.com/p/1?x=1", referrer="google.com",
       product_id="p-1", product_name="Trail Shoe", product_category="shoes", price=19.99, device_type="Mobile",
       user_agent="Mozilla/5.0", ip_address="203.0.113.9", additional_data={"ab": {"variant": "b"}, "list": [1, 2]}),
   event_id="v02", event_type="product_view", event_category="browsing", page_url="https://shop.example.com/p/1?x=1",
   referrer="google.com", product_id="p-1", product_name="Trail Shoe", product_category="shoes", price=19.99,
   device_type="mobile", has_product_data=True, has_price_data=True)
ok("integer ids become strings", raw(event_id=12345, user_id=42), event_id="12345", user_id="42")
ok("negative integer user_id", raw(event_id="v04", user_id=-5), event_id="v04", user_id="-5")
ok("the largest unsigned 64-bit integer id", raw(event_id=18446744073709551615), event_id="18446744073709551615")
ok("ids are trimmed", raw(event_id="  v05\t", user_id=" u1 "), event_id="v05")
ok("event_type trimmed and lower-cased", raw(event_id="v06", event_type=" Add_To_Cart ", quantity=2, price=5),
   event_id="v06", event_type="add_to_cart", event_category="cart", quantity=2, price=5.0, has_price_data=True)
ok("unknown event type maps to other", raw(event_id="v07", event_type="video_play"), event_id="v07",
   event_type="video_play", event_category="other")
ok("every category", raw(event_id="v08", event_type="CHECKOUT_START"), event_id="v08", event_type="checkout_start",
   event_category="conversion")
ok("+02:00 offset", raw(event_id="v10", timestamp="2026-11-25T12:30:00+02:00"), event_id="v10",
   timestamp="2026-11-25T10:30:00.000Z")
ok("python isoformat, 6 fraction digits", raw(event_id="v11", timestamp="2026-11-25T10:00:00.123456+00:00"),
   event_id="v11", timestamp="2026-11-25T10:00:00.123Z")
ok("space separator, no zone means UTC", raw(event_id="v12", timestamp="2026-11-25 10:00:00"), event_id="v12")
ok("9 fraction digits are truncated, not rounded", raw(event_id="v13", timestamp="2026-11-25T10:00:00.987654321Z"),
   event_id="v13", timestamp="2026-11-25T10:00:00.987Z")
ok("1 fraction digit", raw(event_id="v14", timestamp="2026-11-25T10:00:00.5Z"), event_id="v14",
   timestamp="2026-11-25T10:00:00.500Z")
ok("epoch milliseconds", raw(event_id="v15", timestamp=1764064800123), event_id="v15",
   timestamp="2025-11-25T10:00:00.123Z", event_date="2025-11-25")
ok("epoch seconds", raw(event_id="v16", timestamp=1764064800), event_id="v16", timestamp="2025-11-25T10:00:00.000Z",
   event_date="2025-11-25")
ok("epoch seconds with a fraction", raw(event_id="v17", timestamp=1764064800.5), event_id="v17",
   timestamp="2025-11-25T10:00:00.500Z", event_date="2025-11-25")
ok("negative offset moves the date forward", raw(event_id="v18", timestamp="2026-11-24T23:30:00-05:00"),
   event_id="v18", timestamp="2026-11-25T04:30:00.000Z", hour=4)
ok("positive offset moves the date back", raw(event_id="v19", timestamp="2026-11-25T01:00:00+03:00"),
   event_id="v19", timestamp="2026-11-24T22:00:00.000Z", event_date="2026-11-24", hour=22)
ok("surrounding blanks in the timestamp", raw(event_id="v20", timestamp=" 2026-11-25T10:00:00Z "), event_id="v20")
ok("numeric strings", raw(event_id="v21", event_type="purchase", price="19.99", quantity="3"), event_id="v21",
   event_type="purchase", event_category="conversion", price=19.99, quantity=3, has_price_data=True)
ok("price string with blanks and exponent", raw(event_id="v22", price=" 1e3 "), event_id="v22", price=1000.0,
   has_price_data=True)
ok("integral float quantity", raw(event_id="v23", quantity=2.0, price=1.5e2), event_id="v23", quantity=2,
   price=150.0, has_price_data=True)
ok("zero price and quantity", raw(event_id="v24", price=0, quantity=0), event_id="v24", price=0.0, quantity=0,
   has_price_data=True)
ok("empty optional strings become NULL",
   raw(event_id="v25", page_url="", referrer="", product_id="", product_name="", product_category="",
       device_type="", price="", quantity="", session_id=""),
   event_id="v25", session_id=None)
ok("blank session_id is NULL", raw(event_id="v26", session_id="   "), event_id="v26", session_id=None)
ok("absent session_id", raw(event_id="v27", session_id=DROP), event_id="v27", session_id=None)
ok("integer session_id", raw(event_id="v28", session_id=7), event_id="v28", session_id="7")
ok("optional strings are kept verbatim", raw(event_id="v29", product_name="  Café ☕  ", product_id=123),
   event_id="v29", product_name="  Café ☕  ", product_id="123", has_product_data=True)
ok("null optional fields", raw(event_id="v30", price=None, quantity=None, device_type=None, page_url=None),
   event_id="v30")
ok("unknown fields are dropped and named",
   raw(event_id="v31", app_version="1.2", experiment_id=5, event_category="spoofed"),
   event_id="v31", unknown_fields=["app_version", "event_category", "experiment_id"])
ok("timestamp exactly at the future limit", raw(event_id="v32", timestamp="2026-11-26T12:00:00.000Z"),
   event_id="v32", timestamp="2026-11-26T12:00:00.000Z", event_date="2026-11-26", hour=12)
ok("timestamp exactly 2000-01-01", raw(event_id="v33", timestamp="2000-01-01T00:00:00Z"), event_id="v33",
   timestamp="2000-01-01T00:00:00.000Z", event_date="2000-01-01", hour=0)
ok("leap day", raw(event_id="v34", timestamp="2024-02-29T12:00:00Z"), event_id="v34",
   timestamp="2024-02-29T12:00:00.000Z", event_date="2024-02-29", hour=12)
ok("upper-case event type with unicode elsewhere", raw(event_id="v35", event_type="PAGE_VIEW", page_url="/ü?q=ß"),
   event_id="v35", page_url="/ü?q=ß")
ok("whitespace between tokens", '{ "event_id" : "v36" , "user_id":"u1","event_type":"login","timestamp":"2026-11-25T10:00:00Z" }',
   event_id="v36", event_type="login", session_id=None)
ok("escaped characters in strings", raw(event_id="v37", page_url="/a\"b\\c\n"), event_id="v37",
   page_url="/a\"b\\c\n")

# ---- properties: map<string,string>, entries as [key, value] pairs in order of first appearance
def praw(event_id, properties_json, **fields):
    """A record whose properties object is given as exact JSON text (so numbers keep their spelling)."""
    return raw(event_id=event_id, **fields)[:-1] + ',"properties":' + properties_json + "}"
ok("properties: strings kept, a null value drops its entry",
   raw(event_id="vp01", properties={"anonymous_id": "a-1", "plan": "pro", "gone": None}),
   event_id="vp01", properties=[["anonymous_id", "a-1"], ["plan", "pro"]])
ok("properties: numbers, booleans, objects and arrays kept as their JSON text, exactly as written",
   praw("vp02", '{"n":1.50,"z":-0,"e":1E3,"b":true,"f":false,"o":{ "x" : [1, 2] },"a":[ "x" ],"big":123456789012345678901234567890}'),
   event_id="vp02", properties=[["n", "1.50"], ["z", "-0"], ["e", "1E3"], ["b", "true"], ["f", "false"],
                                ["o", '{ "x" : [1, 2] }'], ["a", '[ "x" ]'], ["big", "123456789012345678901234567890"]])
ok("properties: a repeated key keeps its first value", praw("vp03", '{"k":"first","j":"x","k":"second"}'),
   event_id="vp03", properties=[["k", "first"], ["j", "x"]])
ok("properties: a repeated key whose first value is null has no entry", praw("vp12", '{"k":null,"k":"x","m":"y"}'),
   event_id="vp12", properties=[["m", "y"]])
ok("properties: escapes in keys and values are decoded", praw("vp04", '{"k\\u00e9":"v\\n\\"q\\"","\\u2603":"\\ud83d\\ude00"}'),
   event_id="vp04", properties=[["k\u00e9", 'v\n"q"'], ["\u2603", "\U0001F600"]])
ok("properties: an empty object is NULL", raw(event_id="vp05", properties={}), event_id="vp05")
ok("properties: only null values is NULL", raw(event_id="vp06", properties={"a": None}), event_id="vp06")
ok("properties: null is NULL", raw(event_id="vp07", properties=None), event_id="vp07")
ok("properties: an empty key and an empty value are kept", raw(event_id="vp08", properties={"": "", "x": "ü ☕"}),
   event_id="vp08", properties=[["", ""], ["x", "ü ☕"]])
ok("properties: the first of two properties fields counts",
   raw(event_id="vp09")[:-1] + ',"properties":{"a":"1"},"properties":{"b":"2"}}',
   event_id="vp09", properties=[["a", "1"]])
ok("properties: whitespace around values is not part of them", praw("vp10", '{ "a" : 1 , "b" :\t"x" , "c": [] }'),
   event_id="vp10", properties=[["a", "1"], ["b", "x"], ["c", "[]"]])
ok("properties: a nested string with a quote and a brace kept as written", praw("vp11", '{"o":{"s":"}\\"{"}}'),
   event_id="vp11", properties=[["o", '{"s":"}\\"{"}']])
bad("properties: a string is invalid", raw(event_id="rp01", properties="x"), "invalid_field", "properties")
bad("properties: an array is invalid", raw(event_id="rp02", properties=[{"a": "b"}]), "invalid_field", "properties")
bad("properties: a number is invalid", raw(event_id="rp03", properties=5), "invalid_field", "properties")
bad("properties: true is invalid", raw(event_id="rp04", properties=True), "invalid_field", "properties")
bad("first fault wins: quantity before properties", raw(event_id="rp05", quantity="x", properties="y"),
    "invalid_field", "quantity")

# ---- rejected records
bad("event_id absent", raw(event_id=DROP), "missing_field", "event_id")
bad("event_id null", raw(event_id=None), "missing_field", "event_id")
bad("event_id empty", raw(event_id=""), "missing_field", "event_id")
bad("event_id blank", raw(event_id="  \t "), "missing_field", "event_id")
bad("event_id a fraction", raw(event_id=1.5), "invalid_field", "event_id")
bad("event_id a boolean", raw(event_id=True), "invalid_field", "event_id")
bad("event_id an object", raw(event_id={"id": 1}), "invalid_field", "event_id")
bad("event_id an array", raw(event_id=[1]), "invalid_field", "event_id")
bad("user_id absent", raw(event_id="r01", user_id=DROP), "missing_field", "user_id")
bad("user_id an object", raw(event_id="r02", user_id={"id": "u1"}), "invalid_field", "user_id")
bad("session_id a fraction", raw(event_id="r03", session_id=1.5), "invalid_field", "session_id")
bad("session_id a boolean", raw(event_id="r04", session_id=False), "invalid_field", "session_id")
bad("event_type absent", raw(event_id="r05", event_type=DROP), "missing_field", "event_type")
bad("event_type blank", raw(event_id="r06", event_type="  "), "missing_field", "event_type")
bad("event_type a number", raw(event_id="r07", event_type=5), "invalid_field", "event_type")
bad("timestamp absent", raw(event_id="r08", timestamp=DROP), "missing_field", "timestamp")
bad("timestamp empty", raw(event_id="r09", timestamp=""), "missing_field", "timestamp")
bad("timestamp null", raw(event_id="r10", timestamp=None), "missing_field", "timestamp")
for i, text in enumerate(["yesterday", "2026-13-45T99:00:00Z", "2026-02-30T10:00:00Z", "2026-11-25T24:00:00Z",
                          "2026-11-25T10:00:60Z", "2026-11-25T10:00Z", "2026-11-25", "2026-11-25T10:00:00.Z",
                          "2026-11-25T10:00:00.1234567890Z", "2026-11-25T10:00:00+0200", "2026-11-25t10:00:00z",
                          "2026-11-25T10:00:00+24:00", "26-11-25T10:00:00Z", "2026-11-25T10:00:00 Z"]):
    bad(f"timestamp does not parse: {text}", raw(event_id=f"r2{i:02d}", timestamp=text), "invalid_timestamp", "timestamp")
bad("timestamp a boolean", raw(event_id="r11", timestamp=True), "invalid_timestamp", "timestamp")
bad("timestamp an object", raw(event_id="r12", timestamp={"t": 1}), "invalid_timestamp", "timestamp")
bad("before 2000", raw(event_id="r13", timestamp="1999-12-31T23:59:59.999Z"), "timestamp_out_of_range", "timestamp")
bad("1 ms past the future limit", raw(event_id="r14", timestamp="2026-11-26T12:00:00.001Z"), "timestamp_out_of_range", "timestamp")
bad("far future", raw(event_id="r15", timestamp="2099-01-01T00:00:00Z"), "timestamp_out_of_range", "timestamp")
bad("epoch ms before 2000", raw(event_id="r16", timestamp=946684799999), "timestamp_out_of_range", "timestamp")
bad("epoch seconds zero", raw(event_id="r17", timestamp=0), "timestamp_out_of_range", "timestamp")
bad("negative epoch", raw(event_id="r18", timestamp=-1), "timestamp_out_of_range", "timestamp")
bad("huge epoch number", raw(event_id="r19", timestamp=1e300), "timestamp_out_of_range", "timestamp")
bad("first fault wins: event_id before price", raw(event_id=DROP, price="abc"), "missing_field", "event_id")
bad("first fault wins: user_id before timestamp", raw(event_id="r30", user_id=None, timestamp="nope"), "missing_field", "user_id")
bad("first fault wins: timestamp before price", raw(event_id="r31", timestamp="nope", price="abc"), "invalid_timestamp", "timestamp")
bad("page_url a fraction", raw(event_id="r32", page_url=5.5), "invalid_field", "page_url")
bad("page_url a boolean", raw(event_id="r33", page_url=True), "invalid_field", "page_url")
bad("referrer an object", raw(event_id="r34", referrer={}), "invalid_field", "referrer")
bad("product_id a fraction", raw(event_id="r35", product_id=1.5), "invalid_field", "product_id")
bad("product_name an array", raw(event_id="r36", product_name=[]), "invalid_field", "product_name")
bad("device_type a number", raw(event_id="r37", device_type=3), "invalid_field", "device_type")
for i, value in enumerate(["abc", -1, "-0.01", True, "NaN", "Infinity", "1_000", [], "0x10", "1e999", "12abc", "."]):
    bad(f"price invalid: {json.dumps(value)}", raw(event_id=f"r4{i:02d}", price=value), "invalid_field", "price")
for i, value in enumerate([1.5, "x", -1, "2.0", True, 9007199254740992, "1e2", {}]):
    bad(f"quantity invalid: {json.dumps(value)}", raw(event_id=f"r5{i:02d}", quantity=value), "invalid_field", "quantity")
# Number literals are judged as written, not as the double nearest them (raw text: json.dumps would round).
def lit(field, text, **fields):
    return raw(**{field: "@LITERAL@"}, **fields).replace('"@LITERAL@"', text)
ok("epoch seconds: fraction digits beyond a double are truncated, not rounded",
   lit("timestamp", "1795600800.1239999999", event_id="v40"), event_id="v40", timestamp="2026-11-25T10:00:00.123Z")
ok("epoch milliseconds with a fraction are truncated", lit("timestamp", "1795600800123.9999999", event_id="v41"),
   event_id="v41", timestamp="2026-11-25T10:00:00.123Z")
ok("epoch seconds in exponent form are truncated", lit("timestamp", "1.7956008001239999999e9", event_id="v42"),
   event_id="v42", timestamp="2026-11-25T10:00:00.123Z")
bad("epoch seconds a hair before 2000 (a double rounds them to 2000)",
    lit("timestamp", "946684799.99999999999", event_id="r70"), "timestamp_out_of_range", "timestamp")
ok("a quantity whole as written in exponent form", lit("quantity", "2.50e1", event_id="v43"), event_id="v43", quantity=25)
bad("quantity 1e-428 is not whole (a double reads 0)", lit("quantity", "1e-428", event_id="r71"), "invalid_field", "quantity")
bad("quantity 2.0000000000000001 is not whole (a double reads 2)", lit("quantity", "2.0000000000000001", event_id="r72"),
    "invalid_field", "quantity")
bad("truncated JSON", '{"event_id":"r60","user_id":"u1",', "malformed_json")
bad("trailing comma is not JSON", '{"event_id":"r61","user_id":"u1","event_type":"login","timestamp":"2026-11-25T10:00:00Z",}', "malformed_json")
bad("NaN is not JSON", '{"event_id":"r62","user_id":"u1","event_type":"login","timestamp":"2026-11-25T10:00:00Z","price":NaN}', "malformed_json")
bad("single quotes are not JSON", "{'event_id':'r63'}", "malformed_json")
bad("leading zero is not JSON", '{"event_id":"r64","user_id":"u1","event_type":"login","timestamp":"2026-11-25T10:00:00Z","quantity":01}', "malformed_json")
bad("event_id an integer beyond 64 bits", raw(event_id=99999999999999999999), "invalid_field", "event_id")
bad("event_id an integer below -2^63", raw(event_id=-9223372036854775809), "invalid_field", "event_id")
bad("a lone surrogate escape is not UTF-8 text", raw(event_id="r66").replace('"u1"', '"u1\\ud800"'), "malformed_json")
bad("a number is not an object", "42", "not_an_object")
bad("a string is not an object", '"page_view"', "not_an_object")
bad("null is not an object", "null", "not_an_object")
bad("true is not an object", "true", "not_an_object")

pad_case_raw = raw(event_id="big1", additional_data="@PAD@")
cases.append({"name": "one byte over 1,000 KiB", "raw": pad_case_raw, "pad": {"marker": "@PAD@", "toBytes": 1024001},
              "expect": {"reject": {"reason": "record_too_large", "field": None}}})
cases.append({"name": "exactly 1,000 KiB is accepted", "raw": raw(event_id="big2", additional_data="@PAD@"),
              "pad": {"marker": "@PAD@", "toBytes": 1024000}, "expect": {"row": row(event_id="big2")}})

ids = [c["expect"]["row"]["event_id"] for c in cases if "row" in c["expect"]]
assert len(ids) == len(set(ids)), "valid cases need unique event_ids"
for c in cases:
    assert "\n" not in c["raw"], c["name"]

rules = {
    "description": "Per-record rules of the data contract (docs/data-contract.md). Each case is one record's exact text "
                   "(one line). A row lists every output column except processed_timestamp, event_sequence and "
                   "is_session_start, which are table-level; event_time is given as an ISO-8601 UTC string; "
                   "unknown_fields lists dropped unknown field names, sorted; properties is null or a list of "
                   "[key, value] pairs in map order. A case with 'pad' has its marker "
                   "replaced by 'x' characters so that the whole raw text is exactly toBytes bytes (UTF-8).",
    "now": NOW, "futureToleranceHours": 24, "cases": cases,
}

def ev(i, **extra):
    rec = {"event_id": i, "user_id": "u1", "event_type": "page_view", "timestamp": "2026-11-25T10:00:00Z"}
    rec.update(extra)
    return json.dumps(rec, separators=(",", ":"))

def gz(text):
    return base64.b64encode(gzip.compress(text.encode("utf-8"), mtime=0)).decode()

framing = []
def fr(name, expect, text=None, b64=None, key=None):
    case = {"name": name}
    if key is not None: case["key"] = key
    if text is not None: case["text"] = text
    if b64 is not None: case["base64"] = b64
    case["expect"] = expect
    framing.append(case)
E = lambda line, eid: {"line": line, "event_id": eid}
R = lambda line, reason: {"line": line, "reason": reason}

fr("newline-delimited, LF", [E(1, "a"), E(2, "b"), E(3, "c")], text=f'{ev("a")}\n{ev("b")}\n{ev("c")}\n')
fr("newline-delimited, CRLF, no final newline", [E(1, "a"), E(2, "b")], text=f'{ev("a")}\r\n{ev("b")}')
fr("concatenated with no delimiter (Firehose default)", [E(1, "a"), E(1, "b"), E(1, "c")], text=ev("a") + ev("b") + ev("c"))
fr("concatenated with blanks and newlines mixed", [E(1, "a"), E(1, "b"), E(2, "c"), E(3, "d")],
   text=f'{ev("a")} {ev("b")}\n{ev("c")}\n\n'.replace("\n\n", "\n") + ev("d"))
pretty = json.dumps([json.loads(ev("a")), json.loads(ev("b", price=1.5))], indent=2)
fr("pretty-printed JSON array", [E(2, "a"), E(8, "b")], text=pretty + "\n")
fr("JSON array on one line", [E(1, "a"), E(1, "b")], text=f'[{ev("a")},{ev("b")}]')
fr("UTF-8 BOM", [E(1, "a"), E(2, "b")], text="\ufeff" + f'{ev("a")}\n{ev("b")}\n')
fr("gzip without a .gz name: a complete gzip stream", [E(1, "a"), E(2, "b")], b64=gz(f'{ev("a")}\n{ev("b")}\n'))
fr("gzip of a BOM-prefixed array", [E(1, "a"), E(1, "b")], b64=gz("\ufeff" + f'[{ev("a")}, {ev("b")}]'))
def gz_without_newline(payload):
    """Gzip bytes of payload (varied until they hold no LF, so they frame as exactly one line)."""
    for n in range(1000):
        data = gzip.compress((payload + " " * n).encode("utf-8"), mtime=0)
        if b"\n" not in data and b"\r" not in data:
            return data
    raise RuntimeError("no LF-free gzip found")
fr("an object named .gz is gunzipped", [E(1, "a"), E(2, "b")], b64=gz(f'{ev("a")}\n{ev("b")}\n'),
   key="raw/year=2026/month=11/day=25/framing-1.gz")
fr("an object named .gz that is not gzip is unreadable", [R(None, "unreadable_object")],
   text=f'{ev("a")}\n', key="raw/year=2026/month=11/day=25/framing-1.gz")
fr("a record starting with the gzip magic bytes costs only itself; the object is text",
   [R(1, "malformed_json")] + [E(i + 2, "e%d" % i) for i in range(5)],
   b64=base64.b64encode(gz_without_newline('{"anything":1}') + b"\n" +
                        "".join(ev("e%d" % i) + "\n" for i in range(5)).encode()).decode())
fr("several complete gzip members are one gzip object", [E(1, "a"), E(2, "b")],
   b64=base64.b64encode(gzip.compress((ev("a") + "\n").encode(), mtime=0) +
                        gzip.compress((ev("b") + "\n").encode(), mtime=0)).decode())
fr("empty object", [], text="")
fr("only blank lines", [], text="\n\n  \n\t\n")
fr("a malformed line costs only itself", [E(1, "a"), R(2, "malformed_json"), E(3, "c")],
   text=f'{ev("a")}\n{{"event_id":"b","user\n{ev("c")}\n')
fr("truncated last record without newline", [E(1, "a"), R(2, "malformed_json")], text=f'{ev("a")}\n{{"event_id":"b",')
fr("no newlines at all: the rest of the object is one rejected record", [E(1, "a"), R(1, "malformed_json")],
   text=ev("a") + '{"event_id":"b","user_id": ' + ev("c"))
fr("pretty-printed object followed by a line", [E(1, "a"), E(7, "b")],
   text=json.dumps(json.loads(ev("a")), indent=2) + "\n" + ev("b") + "\n")
fr("broken multi-line object: each of its lines is rejected, the next record survives",
   [R(1, "malformed_json"), R(2, "malformed_json"), E(3, "b")],
   text='{\n  "event_id": "a",\n' + ev("b") + "\n")
fr("scalars on their own lines are not objects", [E(1, "a"), R(2, "not_an_object"), R(3, "not_an_object"),
   R(4, "not_an_object"), E(5, "b")], text=f'{ev("a")}\n42\n"text"\nnull\n{ev("b")}\n')
fr("array elements count on their own", [E(1, "a"), R(1, "not_an_object"), R(1, "not_an_object"), R(1, "not_an_object")],
   text=f'[{ev("a")}, 5, "x", [1, 2]]')
fr("invalid UTF-8 is malformed JSON and costs only its line", [E(1, "a"), R(2, "malformed_json"), E(3, "c")],
   b64=base64.b64encode(ev("a").encode() + b'\n{"event_id":"b\xff\xfe"}\n' + ev("c").encode() + b"\n").decode())
fr("lines that are not UTF-8 cost only themselves, also inside a pretty-printed record and after a BOM",
   [E(1, "a"), R(2, "malformed_json"), R(3, "malformed_json"), R(4, "malformed_json"), R(5, "malformed_json"),
    E(6, "c"), R(7, "malformed_json"), E(8, "d")],
   b64=base64.b64encode(b"\xef\xbb\xbf" + ev("a").encode() + b'\n{\n  "event_id": "b\xff",\n  "user_id": "u1"\n}\n'
                        + ev("c").encode() + b"\n\xc3(\n" + ev("d").encode()).decode())
fr("blank lines and trailing blanks between records", [E(2, "a"), E(5, "b")], text=f'\n{ev("a")}   \n\n \n\t{ev("b")}\n')
fr("text after an object on its line is malformed; the object stands", [E(1, "a"), R(1, "malformed_json")],
   text=ev("a") + " trailing\n")
fr("a string containing }{ is one record", [E(1, "a")], text=ev("a", page_url="/x}{y") + "\n")
fr("a string containing a newline escape is one record", [E(1, "a"), E(2, "b")], text=ev("a", page_url="/x\ny") + "\n" + ev("b") + "\n")

with open(os.path.join(here, "rules.json"), "w", encoding="utf-8") as f:
    json.dump(rules, f, ensure_ascii=False, indent=1)
    f.write("\n")
with open(os.path.join(here, "framing.json"), "w", encoding="utf-8") as f:
    json.dump({"description": "Framing of raw objects: how an object's bytes split into records. 'text' is the object "
                              "as UTF-8; 'base64' its exact bytes; 'key' its object key when the name matters (default raw/year=2026/month=11/day=25/framing-1). 'expect' lists, in order, each record by the 1-based "
                              "line where it starts: accepted ones by event_id, rejected ones by reason. All accepted "
                              "records are valid under rules.json's 'now'.",
               "now": NOW, "cases": framing}, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(len(cases), "rule cases,", len(framing), "framing cases")
