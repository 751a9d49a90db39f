import { quotedString } from "@duckdb/node-api";
import {
  contract,
  limits,
  minEventTimeMs,
  type FieldKind,
  type InputField,
} from "../contract/data-contract.js";

/**
 * The per-record rules of the data contract as SQL, generated from the contract's table of input fields
 * (name, kind, required). Each field kind contributes a value expression and a fault expression; the
 * first fault in the contract's field order wins. Nothing here lists fields by hand, so the order of
 * faults cannot drift from the contract.
 *
 * Each field's JSON value arrives as `v_<field>` (JSON text, NULL when the key is absent); the layers
 * below derive `t_<field>` (its JSON type, as DuckDB's json_type names it, with BIGINT/UBIGINT for
 * integer literals within 64 bits and DOUBLE for any other number) and `s_<field>` (its text: a string's
 * value, any other value's JSON text).
 */

/** A field's fault: NULL when it is fine, else one of these codes (mapped to reasons by `faultReasonSql`). */
type FaultCode = "missing" | "invalid" | "bad_timestamp" | "out_of_range";

const ws = quotedString(contract.whitespace);
const INT_TYPES = "('BIGINT', 'UBIGINT')";
const NUM_TYPES = "('BIGINT', 'UBIGINT', 'DOUBLE')";
// RE2 patterns of the contract's numeric strings (RE2's \s is the contract's whitespace less VT).
const NUMERIC_STRING = quotedString("^\\s*[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?\\s*$");
const INTEGER_STRING = quotedString("^\\s*[+-]?[0-9]+\\s*$");
const TIMESTAMP_PATTERN = quotedString(
  "^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])" +
    "(\\.[0-9]{1,9})?(Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?$",
);
// Most producers send the canonical form; a plain match is far cheaper than extracting the parts.
const CANONICAL_TIMESTAMP = quotedString(
  "[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\\.[0-9]{3}Z",
);

const t = (f: InputField): string => `t_${f.name}`;
const s = (f: InputField): string => `s_${f.name}`;
const v = (f: InputField): string => `v_${f.name}`;
const code = (c: FaultCode): string => `'${c}'`;

/** JSON type and text of one extracted value (see the file comment). */
export function typeAndTextSql(f: InputField): string {
  const j = `${v(f)}::VARCHAR`;
  const first = `left(${j}, 1)`;
  // An integer literal outside 64 bits is a real number to DuckDB and to the Glue engine alike.
  const type =
    `CASE WHEN ${v(f)} IS NULL THEN NULL ELSE CASE ${first} WHEN '"' THEN 'VARCHAR' WHEN 'n' THEN 'NULL' ` +
    `WHEN 't' THEN 'BOOLEAN' WHEN 'f' THEN 'BOOLEAN' WHEN '{' THEN 'OBJECT' WHEN '[' THEN 'ARRAY' ` +
    `ELSE CASE WHEN regexp_matches(${j}, '[.eEnNI]') THEN 'DOUBLE' ` +
    `WHEN ${first} = '-' THEN CASE WHEN try_cast(${j} AS BIGINT) IS NULL THEN 'DOUBLE' ELSE 'BIGINT' END ` +
    `ELSE CASE WHEN try_cast(${j} AS UBIGINT) IS NULL THEN 'DOUBLE' ELSE 'UBIGINT' END END END END`;
  // A string without escapes is its text between the quotes: far cheaper than ->>, which parses again.
  const text =
    `CASE WHEN ${first} <> '"' THEN ${j} WHEN contains(${j}, '\\') THEN ${v(f)} ->> '$' ` +
    `ELSE (${j})[2:-2] END`;
  return `${type} AS ${t(f)}, ${text} AS ${s(f)}`;
}

const absentOrNull = (f: InputField): string => `(${t(f)} IS NULL OR ${t(f)} = 'NULL')`;
const blankString = (f: InputField): string => `(${t(f)} = 'VARCHAR' AND trim(${s(f)}, ${ws}) = '')`;
const emptyString = (f: InputField): string => `(${t(f)} = 'VARCHAR' AND ${s(f)} = '')`;
const missing = (f: InputField): string => (f.required ? code("missing") : "NULL");

/** What one field kind contributes: the output value and the fault, as SQL over t_/s_ columns. */
interface KindSql {
  value(f: InputField): string;
  fault(f: InputField): string;
}

const kinds: Record<FieldKind, KindSql> = {
  id: {
    value: (f) =>
      `CASE WHEN ${t(f)} = 'VARCHAR' THEN nullif(trim(${s(f)}, ${ws}), '') WHEN ${t(f)} IN ${INT_TYPES} THEN ${s(f)} END`,
    fault: (f) =>
      `CASE WHEN ${absentOrNull(f)} OR ${blankString(f)} THEN ${missing(f)} ` +
      `WHEN ${t(f)} = 'VARCHAR' OR ${t(f)} IN ${INT_TYPES} THEN NULL ELSE ${code("invalid")} END`,
  },
  event_type: {
    value: (f) => `CASE WHEN ${t(f)} = 'VARCHAR' THEN lower(trim(${s(f)}, ${ws})) END`,
    fault: (f) =>
      `CASE WHEN ${absentOrNull(f)} OR ${blankString(f)} THEN ${missing(f)} ` +
      `WHEN ${t(f)} = 'VARCHAR' THEN NULL ELSE ${code("invalid")} END`,
  },
  timestamp: {
    // Epoch milliseconds, computed in the `ts` layer (ts_ms); the row's event_time derives from it.
    value: () => `ts_ms`,
    fault: (f) =>
      `CASE WHEN ${absentOrNull(f)} OR ${blankString(f)} THEN ${missing(f)} ` +
      `WHEN ts_ms IS NULL THEN ${code("bad_timestamp")} ` +
      `WHEN ts_ms < ${minEventTimeMs} OR ts_ms > $max_event_ms THEN ${code("out_of_range")} END`,
  },
  text: {
    value: (f) =>
      `CASE WHEN ${t(f)} = 'VARCHAR' THEN nullif(${s(f)}, '') WHEN ${t(f)} IN ${INT_TYPES} THEN ${s(f)} END`,
    fault: (f) =>
      `CASE WHEN ${t(f)} IS NULL OR ${t(f)} IN ('NULL', 'VARCHAR', 'BIGINT', 'UBIGINT') THEN NULL ELSE ${code("invalid")} END`,
  },
  lowercase_text: {
    value: (f) => `CASE WHEN ${t(f)} = 'VARCHAR' THEN nullif(lower(${s(f)}), '') END`,
    fault: (f) =>
      `CASE WHEN ${t(f)} IS NULL OR ${t(f)} IN ('NULL', 'VARCHAR') THEN NULL ELSE ${code("invalid")} END`,
  },
  price: {
    value: (f) =>
      `CASE WHEN ${t(f)} IN ${NUM_TYPES} THEN try_cast(${s(f)} AS DOUBLE) ` +
      `WHEN ${t(f)} = 'VARCHAR' AND regexp_matches(${s(f)}, ${NUMERIC_STRING}) THEN try_cast(trim(${s(f)}) AS DOUBLE) END`,
    fault: (f) =>
      `CASE WHEN ${absentOrNull(f)} OR ${emptyString(f)} THEN NULL ` +
      `WHEN (${t(f)} IN ${NUM_TYPES} OR ${t(f)} = 'VARCHAR') AND isfinite(${f.name}) AND ${f.name} >= 0 THEN NULL ` +
      `ELSE ${code("invalid")} END`,
  },
  quantity: {
    value: (f) =>
      `CASE WHEN ${t(f)} IN ${INT_TYPES} AND try_cast(${s(f)} AS HUGEINT) BETWEEN 0 AND ${limits.maxQuantity} ` +
      `THEN try_cast(${s(f)} AS BIGINT) ` +
      `WHEN ${t(f)} = 'DOUBLE' AND try_cast(${s(f)} AS DOUBLE) = floor(try_cast(${s(f)} AS DOUBLE)) ` +
      `AND try_cast(${s(f)} AS DOUBLE) BETWEEN 0 AND ${limits.maxQuantity} THEN try_cast(${s(f)} AS DOUBLE)::BIGINT ` +
      `WHEN ${t(f)} = 'VARCHAR' AND regexp_matches(${s(f)}, ${INTEGER_STRING}) ` +
      `AND try_cast(trim(${s(f)}) AS HUGEINT) BETWEEN 0 AND ${limits.maxQuantity} THEN try_cast(trim(${s(f)}) AS BIGINT) END`,
    fault: (f) =>
      `CASE WHEN ${absentOrNull(f)} OR ${emptyString(f)} THEN NULL ` +
      `WHEN ${f.name} IS NOT NULL THEN NULL ELSE ${code("invalid")} END`,
  },
  properties: {
    // Objects whose values are all strings, nulls or booleans, with no repeated key, are mapped here; any
    // other object keeps its exact text for the per-record path (properties_pending), which renders
    // numbers, objects and arrays exactly as written.
    value: (f) =>
      `CASE WHEN ${t(f)} = 'OBJECT' AND NOT properties_pending THEN nullif(map_from_entries(list_filter(` +
      `list_zip(json_keys(${v(f)}), json_extract_string(${v(f)}, '$.*')), e -> e[2] IS NOT NULL)), MAP {}) END`,
    fault: (f) =>
      `CASE WHEN ${t(f)} IS NULL OR ${t(f)} IN ('NULL', 'OBJECT') THEN NULL ELSE ${code("invalid")} END`,
  },
};

/** Whether an object-valued properties field needs the per-record path (see `kinds.properties`). */
export function propertiesPendingSql(f: InputField): string {
  return (
    `coalesce(${t(f)} = 'OBJECT' AND (` +
    `list_bool_or(list_transform(json_extract(${v(f)}, '$.*'), x -> json_type(x) NOT IN ('VARCHAR', 'NULL', 'BOOLEAN'))) ` +
    `OR len(list_distinct(json_keys(${v(f)}))) <> len(json_keys(${v(f)}))), false)`
  );
}

export function fieldValueSql(f: InputField): string {
  return kinds[f.kind].value(f);
}

export function fieldFaultSql(f: InputField): string {
  return kinds[f.kind].fault(f);
}

/**
 * Epoch milliseconds of the timestamp field (see the contract's kind), in two layers: `parts` splits a
 * non-canonical ISO string (column `tp`), `millis` computes the instant from the value or from `tp`,
 * or NULL when it does not parse.
 */
export function timestampSql(f: InputField): { parts: string; millis: string } {
  const canonical = `regexp_full_match(${s(f)}, ${CANONICAL_TIMESTAMP})`;
  return {
    parts:
      `CASE WHEN ${t(f)} = 'VARCHAR' AND NOT coalesce(${canonical}, false) THEN ` +
      `regexp_extract(trim(${s(f)}, ${ws}), ${TIMESTAMP_PATTERN}, ['y', 'mo', 'd', 'h', 'mi', 'sec', 'frac', 'tz']) END`,
    millis: `CASE
      WHEN ${t(f)} IN ${NUM_TYPES} THEN
        CASE WHEN try_cast(${s(f)} AS DOUBLE) >= 1e11 THEN floor(try_cast(${s(f)} AS DOUBLE))
             ELSE floor(try_cast(${s(f)} AS DOUBLE) * 1000) END
      WHEN ${t(f)} = 'VARCHAR' AND tp IS NULL THEN epoch_ms(try_cast(${s(f)} AS TIMESTAMP))
      WHEN ${t(f)} = 'VARCHAR' AND tp.y <> '' THEN
        epoch_ms(try_cast(tp.y || '-' || tp.mo || '-' || tp.d || ' ' || tp.h || ':' || tp.mi || ':' || tp.sec AS TIMESTAMP))
          + coalesce(try_cast(rpad(substr(tp.frac, 2, 3), 3, '0') AS BIGINT), 0)
          - CASE WHEN tp.tz IN ('', 'Z') THEN 0
                 ELSE (CASE WHEN substr(tp.tz, 1, 1) = '-' THEN -1 ELSE 1 END)
                      * (substr(tp.tz, 2, 2)::BIGINT * 60 + substr(tp.tz, 5, 2)::BIGINT) * 60000 END
    END`,
  };
}

/** Maps a fault code to the contract's reason code. */
export const faultReasonSql = (fault: string): string =>
  `CASE ${fault} WHEN 'missing' THEN 'missing_field' WHEN 'invalid' THEN 'invalid_field' ` +
  `WHEN 'bad_timestamp' THEN 'invalid_timestamp' WHEN 'out_of_range' THEN 'timestamp_out_of_range' END`;
