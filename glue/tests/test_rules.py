"""The Glue job's per-record rules against the language-neutral golden vectors (test/vectors/)
shared with the TypeScript engine, plus framing and rule cases of our own.

Run from the repository root: python3 -m unittest discover glue/tests
"""

import base64
import gzip
import json
import os
import sys
import tempfile
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))

import clickstream_rules as rules  # noqa: E402

VECTORS = os.path.join(ROOT, "test", "vectors")
CONTRACT = rules.load_contract()
NOW = rules.parse_now("2026-11-25T12:00:00Z")


def load_vectors(name):
    path = os.path.join(VECTORS, name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def comparable_row(row):
    """A rules row in the vectors' JSON shape."""
    out = {}
    for key, value in row.items():
        if key.startswith("_"):
            continue
        if key == "event_time":
            value = rules.format_timestamp(value)
        elif key == "event_date":
            value = value.isoformat()
        out[key] = value
    return out


def case_text(case):
    """A vector's record text; `pad` grows it to an exact byte size (records near the 1,000 KiB limit)."""
    raw = case["raw"]
    pad = case.get("pad")
    if not pad:
        return raw
    fill = pad["toBytes"] - len(raw.encode("utf-8")) + len(pad["marker"])
    return raw.replace(pad["marker"], "x" * fill)


def run_rules(raw, now, tolerance):
    """One vector record through framing and rules: ("row", row) or ("reject", reason, field)."""
    framed = list(rules.split_records(raw.encode("utf-8"), CONTRACT))
    if len(framed) != 1:
        return ("framing", len(framed))
    record = framed[0]
    if record.reject is not None:
        return ("reject", record.reject.reason, record.reject.field)
    try:
        return ("row", comparable_row(rules.transform_record(record.value, now, CONTRACT, tolerance, raw=record.raw)))
    except rules.Reject as reject:
        return ("reject", reject.reason, reject.field)


DEFAULT_FRAMING_KEY = "raw/year=2026/month=11/day=25/framing-1"


def frame(data, key=DEFAULT_FRAMING_KEY):
    """Framing of one object as the vectors express it."""
    out = []
    try:
        for record in rules.split_records(data, CONTRACT, key):
            if record.reject is not None:
                out.append({"line": record.line, "reason": record.reject.reason})
                continue
            try:
                row = rules.transform_record(record.value, NOW, CONTRACT, raw=record.raw)
                out.append({"line": record.line, "event_id": row["event_id"]})
            except rules.Reject as reject:
                out.append({"line": record.line, "reason": reject.reason})
    except rules.Reject as reject:
        out.append({"line": None, "reason": reject.reason})
    return out


class GoldenRuleVectors(unittest.TestCase):
    def test_rules_vectors(self):
        vectors = load_vectors("rules.json")
        if vectors is None:
            self.skipTest("test/vectors/rules.json is not in this checkout yet")
        now = rules.parse_now(vectors["now"])
        tolerance = vectors.get("futureToleranceHours", 24)
        self.assertGreater(len(vectors["cases"]), 0)
        for case in vectors["cases"]:
            with self.subTest(case["name"]):
                got = run_rules(case_text(case), now, tolerance)
                expect = case["expect"]
                if "row" in expect:
                    self.assertEqual(got[0], "row", "%s: expected a row, got %r" % (case["name"], got))
                    self.assertEqual(got[1], expect["row"])
                else:
                    want = expect["reject"]
                    self.assertEqual(got, ("reject", want["reason"], want.get("field")))

    def test_framing_vectors(self):
        vectors = load_vectors("framing.json")
        if vectors is None:
            self.skipTest("test/vectors/framing.json is not in this checkout yet")
        self.assertGreater(len(vectors["cases"]), 0)
        for case in vectors["cases"]:
            with self.subTest(case["name"]):
                self.assertEqual(
                    frame(rules.load_vector_bytes(case), case.get("key", DEFAULT_FRAMING_KEY)), case["expect"]
                )


def record(**fields):
    base = {"event_id": "e1", "user_id": "u1", "event_type": "page_view", "timestamp": "2026-11-25T10:00:00Z"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not rules}


def reason_of(value, now=NOW):
    try:
        rules.transform_record(value, now, CONTRACT)
    except rules.Reject as reject:
        return (reject.reason, reject.field)
    return None


class Rules(unittest.TestCase):
    def test_full_row(self):
        row = rules.transform_record(
            record(
                event_id=" 42 ",
                user_id=7,
                session_id="s1",
                event_type=" Add_To_Cart ",
                timestamp="2026-11-25 10:30:15.123456+02:00",
                page_url="/p/1",
                referrer="",
                product_id="p1",
                price="19.90",
                quantity=2.0,
                device_type="Mobile",
                user_agent="x",
                ip_address="1.2.3.4",
                additional_data={"a": 1},
                campaign="c",
                zz=1,
            ),
            NOW,
            CONTRACT,
        )
        self.assertEqual(
            comparable_row(row),
            {
                "event_id": "42",
                "user_id": "7",
                "session_id": "s1",
                "event_type": "add_to_cart",
                "event_category": "cart",
                "timestamp": "2026-11-25T08:30:15.123Z",
                "event_time": "2026-11-25T08:30:15.123Z",
                "event_date": "2026-11-25",
                "hour": 8,
                "page_url": "/p/1",
                "referrer": None,
                "product_id": "p1",
                "product_name": None,
                "product_category": None,
                "device_type": "mobile",
                "price": 19.9,
                "quantity": 2,
                "has_product_data": True,
                "has_price_data": True,
                "properties": None,
                "unknown_fields": ["campaign", "zz"],
            },
        )

    def test_timestamps(self):
        cases = {
            "2026-11-25T10:00:00Z": "2026-11-25T10:00:00.000Z",
            "2026-11-25T10:00:00": "2026-11-25T10:00:00.000Z",
            "2026-11-25T10:00:00.5-01:30": "2026-11-25T11:30:00.500Z",
            "2026-11-25T10:00:00.123456789Z": "2026-11-25T10:00:00.123Z",
            1795600800123: "2026-11-25T10:00:00.123Z",
            1795600800: "2026-11-25T10:00:00.000Z",
            1795600800.25: "2026-11-25T10:00:00.250Z",
        }
        for raw, want in cases.items():
            with self.subTest(raw):
                self.assertEqual(rules.transform_record(record(timestamp=raw), NOW, CONTRACT)["timestamp"], want)

    def test_rejects(self):
        cases = [
            (record(event_id=rules), ("missing_field", "event_id")),
            (record(user_id="  "), ("missing_field", "user_id")),
            (record(user_id={"a": 1}), ("invalid_field", "user_id")),
            (record(event_id=1.5), ("invalid_field", "event_id")),
            (record(event_id=True), ("invalid_field", "event_id")),
            (record(event_type=None), ("missing_field", "event_type")),
            (record(timestamp=""), ("missing_field", "timestamp")),
            (record(timestamp="yesterday"), ("invalid_timestamp", "timestamp")),
            (record(timestamp="2026-02-30T00:00:00Z"), ("invalid_timestamp", "timestamp")),
            (record(timestamp="1999-12-31T23:59:59.999Z"), ("timestamp_out_of_range", "timestamp")),
            (record(timestamp="2026-11-26T12:00:00.001Z"), ("timestamp_out_of_range", "timestamp")),
            (record(price="abc"), ("invalid_field", "price")),
            (record(price=-1), ("invalid_field", "price")),
            (record(quantity=1.5), ("invalid_field", "quantity")),
            (record(quantity="2.5"), ("invalid_field", "quantity")),
            ([1], ("not_an_object", None)),
        ]
        for value, want in cases:
            with self.subTest(value):
                self.assertEqual(reason_of(value), want)
        # exactly 24 h ahead is still accepted
        self.assertIsNone(reason_of(record(timestamp="2026-11-26T12:00:00Z")))

    def test_categories_are_configurable(self):
        row = rules.transform_record(record(event_type="wishlist"), NOW, CONTRACT, categories={"wishlist": "cart"})
        self.assertEqual(row["event_category"], "cart")
        self.assertEqual(
            rules.transform_record(record(event_type="wishlist"), NOW, CONTRACT)["event_category"], "other"
        )


def ev(i):
    return json.dumps(record(event_id="e%d" % i))


class Framing(unittest.TestCase):
    def test_ndjson_crlf_bom_and_blank_lines(self):
        data = b"\xef\xbb\xbf" + ("%s\r\n\r\n%s\r\n" % (ev(1), ev(2))).encode()
        self.assertEqual(frame(data), [{"line": 1, "event_id": "e1"}, {"line": 3, "event_id": "e2"}])

    def test_concatenated_without_delimiter(self):
        data = (ev(1) + ev(2) + ev(3)).encode()
        self.assertEqual([r["event_id"] for r in frame(data)], ["e1", "e2", "e3"])

    def test_gzip_by_magic_bytes(self):
        data = gzip.compress(("%s\n%s\n" % (ev(1), ev(2))).encode())
        self.assertEqual(frame(data), [{"line": 1, "event_id": "e1"}, {"line": 2, "event_id": "e2"}])

    def test_corrupt_gzip_named_gz_is_unreadable(self):
        data = gzip.compress(ev(1).encode())[:20]
        self.assertEqual(frame(data, "raw/x.gz"), [{"line": None, "reason": "unreadable_object"}])

    def test_truncated_gzip_without_gz_name_is_text(self):
        # Only the name or a complete stream makes an object gzip: these bytes are one malformed record.
        data = gzip.compress(ev(1).encode())[:20].replace(b"\n", b" ")
        self.assertEqual(frame(data), [{"line": 1, "reason": "malformed_json"}])

    def test_pretty_array_with_a_scalar(self):
        data = json.dumps([record(event_id="a"), 5, record(event_id="b")], indent=2).encode()
        self.assertEqual(
            frame(data),
            [
                {"line": 2, "event_id": "a"},
                {"line": 8, "reason": "not_an_object"},
                {"line": 9, "event_id": "b"},
            ],
        )

    def test_malformed_resumes_at_next_newline(self):
        data = ('%s\n{"event_id": "bad", \n%s\n{oops}%s\n' % (ev(1), ev(2), ev(3))).encode()
        self.assertEqual(
            frame(data),
            [
                {"line": 1, "event_id": "e1"},
                {"line": 2, "reason": "malformed_json"},
                {"line": 3, "event_id": "e2"},
                {"line": 4, "reason": "malformed_json"},
            ],
        )

    def test_no_newline_rest_is_one_reject(self):
        data = (ev(1) + '{"broken"' + ev(2)).encode()
        out = frame(data)
        self.assertEqual(out, [{"line": 1, "event_id": "e1"}, {"line": 1, "reason": "malformed_json"}])

    def test_bad_utf8_and_too_large(self):
        big = json.dumps(record(event_id="big", page_url="x" * CONTRACT.max_record_bytes))
        data = ev(1).encode() + b"\n" + b'{"event_id": "\xff"}\n' + big.encode() + b"\n" + ev(2).encode()
        self.assertEqual(
            frame(data),
            [
                {"line": 1, "event_id": "e1"},
                {"line": 2, "reason": "malformed_json"},
                {"line": 3, "reason": "record_too_large"},
                {"line": 4, "event_id": "e2"},
            ],
        )

    def test_escapes_and_brackets_inside_strings(self):
        tricky = json.dumps(record(event_id="t1", page_url='a\\"}{[x]\\', referrer="\\"))
        data = (tricky + ev(2) + "\n" + tricky.replace("t1", "t3")).encode()
        self.assertEqual(
            frame(data), [{"line": 1, "event_id": "t1"}, {"line": 1, "event_id": "e2"}, {"line": 2, "event_id": "t3"}]
        )
        self.assertEqual(rules.scan_value(b'{"a":"\\\\"}x', 0), 10)
        self.assertEqual(rules.scan_value(b'{"a":"b\nc"}', 0), -1)  # raw newline inside a string

    def test_nan_is_not_json(self):
        self.assertEqual(frame(b'{"event_id": NaN}\n'), [{"line": 1, "reason": "malformed_json"}])

    def test_process_object_reject_lines(self):
        data = ('%s\n[1]\n{"x":\n' % ev(1)).encode()
        rows, rejects = rules.process_object(data, "raw/year=2026/month=11/day=25/o", NOW, CONTRACT)
        self.assertEqual([r["event_id"] for r in rows], ["e1"])
        self.assertEqual(rows[0]["_line"], 1)
        self.assertEqual(rows[0]["_raw"], ev(1))
        self.assertEqual(
            rejects,
            [
                {
                    "reason": "not_an_object",
                    "field": None,
                    "message": "expected a JSON object, got a number",
                    "source": "raw/year=2026/month=11/day=25/o",
                    "line": 2,
                    "raw": "1",
                },
                {
                    "reason": "malformed_json",
                    "field": None,
                    "message": rejects[1]["message"],
                    "source": "raw/year=2026/month=11/day=25/o",
                    "line": 3,
                    "raw": '{"x":',
                },
            ],
        )

    def test_vector_bytes(self):
        self.assertEqual(rules.load_vector_bytes({"base64": base64.b64encode(b"ab").decode()}), b"ab")
        self.assertEqual(rules.load_vector_bytes({"text": "é"}), "é".encode())


class ContractIsData(unittest.TestCase):
    """The rules come from contract/data-contract.json: changing the file changes the rules."""

    def changed(self, **changes):
        """The contract with some top-level entries replaced, as load_contract() would build it."""
        return rules.contract_from(dict(CONTRACT.data, **changes), "changed-contract.json")

    def test_fault_order_follows_the_field_table(self):
        fields = list(CONTRACT.data["inputFields"])
        fields[0], fields[1] = fields[1], fields[0]  # user_id before event_id
        swapped = self.changed(inputFields=fields)
        now = rules.parse_now("2026-11-25T12:00:00Z")
        for contract, want in ((CONTRACT, ("missing_field", "event_id")), (swapped, ("missing_field", "user_id"))):
            with self.assertRaises(rules.Reject) as caught:
                rules.transform_record({"event_type": "x", "timestamp": 1e12}, now, contract)
            self.assertEqual((caught.exception.reason, caught.exception.field), want)

    def test_an_unknown_field_kind_fails_to_load(self):
        fields = [*CONTRACT.data["inputFields"], {"name": "x", "kind": "colour", "required": False}]
        with self.assertRaisesRegex(ValueError, "colour"):
            self.changed(inputFields=fields)

    def test_reject_fields_are_written_in_the_contracts_order(self):
        reordered = self.changed(rejectFields=["source", "line", "reason", "field", "message", "raw"])
        _, rejects = rules.process_object(b"{bad\n", "raw/a", NOW, reordered)
        self.assertEqual(list(rejects[0]), ["source", "line", "reason", "field", "message", "raw"])
        with self.assertRaisesRegex(ValueError, "rejectFields"):
            self.changed(rejectFields=["reason", "field", "message", "source", "line"])

    def test_object_size_and_reject_raw_limits_come_from_the_contract(self):
        small = self.changed(
            limits=dict(CONTRACT.data["limits"], maxObjectBytes=100, maxCompressionRatio=1, maxRejectRawChars=10)
        )
        body = b"x" * 150
        found = [
            [
                (i["reason"], i["raw"], "decompress" in i["message"])
                for _, i in rules.frame_object(data, key, NOW, small)
            ]
            for key, data in (("raw/a", body), ("raw/b.gz", gzip.compress(body)), ("raw/c", b"{bad json here}"))
        ]
        # A plain object is read whatever its size (150 x's: not JSON); a .gz one is bounded.
        self.assertEqual(
            found,
            [
                [("malformed_json", "xxxxxxxxxx", False)],
                [("unreadable_object", "xxxxxxxxxx", True)],
                [("malformed_json", "{bad json ", False)],
            ],
        )

    def test_a_gz_object_keeps_its_good_members_and_rejects_the_tail(self):
        now = rules.parse_now("2026-11-25T12:00:00Z")
        good = gzip.compress(
            b'{"event_id":"g1","user_id":"u","event_type":"page_view","timestamp":"2026-11-24T10:00:00Z"}\n'
        )
        items = list(rules.frame_object(good + b"not gzip at all", "raw/x.gz", now, CONTRACT))
        self.assertEqual([kind for kind, _ in items], ["row", "reject"])
        self.assertEqual(items[1][1]["reason"], "unreadable_object")
        self.assertIn("are not gzip", items[1][1]["message"])
        cut = gzip.compress(b'{"a":1}\n' * 1000)
        items = list(rules.frame_object(good + cut[:-30], "raw/y.gz", now, CONTRACT))
        self.assertEqual(items[0][0], "row")
        self.assertEqual(items[-1][1]["reason"], "unreadable_object")

    def test_a_plain_object_is_read_whatever_its_size(self):
        tiny = self.changed(limits=dict(CONTRACT.data["limits"], maxObjectBytes=10))
        body = b'{"event_id":"e","user_id":"u","event_type":"page_view","timestamp":"2026-11-24T10:00:00Z"}\n'
        self.assertEqual([k for k, _ in rules.frame_object(body, "raw/a", NOW, tiny)], ["row"])

    def test_values_are_the_contracts(self):
        data = CONTRACT.data
        self.assertEqual(CONTRACT.reasons, tuple(r["code"] for r in data["reasons"]))
        self.assertEqual(CONTRACT.max_record_bytes, data["limits"]["maxRecordBytes"])
        self.assertEqual(CONTRACT.event_categories, data["eventCategories"])
        self.assertEqual([k.name for k in CONTRACT.partition_keys], [k["name"] for k in data["partitionKeys"]])
        self.assertEqual(CONTRACT.parquet_compression, data["parquet"]["compression"])
        self.assertTrue(CONTRACT.path.endswith(os.path.join("contract", "data-contract.json")))

    def test_the_contract_is_found_through_the_environment(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(dict(CONTRACT.data, otherCategory="misc"), handle)
        self.addCleanup(os.remove, handle.name)
        with mock.patch.dict(os.environ, {"CLICKSTREAM_CONTRACT": handle.name}):
            self.assertEqual(rules.load_contract().other_category, "misc")
        self.assertEqual(rules.load_contract(handle.name).path, handle.name)
        with self.assertRaisesRegex(FileNotFoundError, "data-contract.json not found"):
            rules.load_contract(handle.name + ".missing")


if __name__ == "__main__":
    unittest.main()
