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
const j = (f: InputField): string => `j_${f.name}`;
const code = (c: FaultCode): string => `'${c}'`;
/** A number field's exact verdict from the per-record path (exact-number.ts), NULL until it has one. */
const x = (f: InputField): string => `x_${f.name}`;

/**
 * JSON types as small integers: comparing them costs far less than comparing type names, in expressions
 * evaluated for every field of every record. INT is an integer literal within 64 bits (-2^63 .. 2^64-1);
 * any other number is DOUBLE (an integer literal outside 64 bits is a real number to DuckDB and to the
 * Glue engine alike).
 */
const jsonType = { NULL: 0, STRING: 1, BOOLEAN: 2, OBJECT: 3, ARRAY: 4, INT: 5, DOUBLE: 6 } as const;
const T = jsonType;
const INTS = `(${T.INT})`;
const NUMBERS = `(${T.INT}, ${T.DOUBLE})`;

/** First layer per field: the value's JSON text (`j_`). */
export function jsonTextSql(f: InputField): string {
  return `${v(f)}::VARCHAR AS ${j(f)}`;
}

/** Second layer per field: its JSON type (`t_`, see jsonType) and text (`s_`: a string's value, else the JSON text). */
export function typeAndTextSql(f: InputField): string {
  const first = `ascii(${j(f)})`;
  const integer =
    `CASE WHEN contains(${j(f)}, '.') OR contains(${j(f)}, 'e') OR contains(${j(f)}, 'E') THEN false ` +
    `WHEN ${first} = 45 THEN try_cast(${j(f)} AS BIGINT) IS NOT NULL ELSE try_cast(${j(f)} AS UBIGINT) IS NOT NULL END`;
  const type =
    `CASE WHEN ${j(f)} IS NULL THEN NULL ELSE CASE ${first} WHEN 34 THEN ${T.STRING} WHEN 110 THEN ${T.NULL} WHEN 116 THEN ${T.BOOLEAN} ` +
    `WHEN 102 THEN ${T.BOOLEAN} WHEN 123 THEN ${T.OBJECT} WHEN 91 THEN ${T.ARRAY} ` +
    `ELSE CASE WHEN ${integer} THEN ${T.INT} ELSE ${T.DOUBLE} END END END`;
  // A string without escapes is its text between the quotes: far cheaper than ->>, which parses again.
  const text =
    `CASE WHEN ${first} <> 34 THEN ${j(f)} WHEN contains(${j(f)}, '\\') THEN ${v(f)} ->> '$' ` +
    `ELSE ${j(f)}[2:-2] END`;
  return `(${type})::UTINYINT AS ${t(f)}, ${text} AS ${s(f)}`;
}

/**
 * A string trimmed of the contract's whitespace. Every whitespace character is below U+0021, so a string
 * whose first and last characters are above it has nothing to trim: trim() with a set of characters is
 * costly enough to skip for the strings that need none (nearly all).
 */
const trimWs = (x: string): string =>
  `CASE WHEN ascii(${x}) > 32 AND ascii(right(${x}, 1)) > 32 THEN ${x} ELSE trim(${x}, ${ws}) END`;

const absentOrNull = (f: InputField): string => `coalesce(${t(f)}, ${T.NULL}) = ${T.NULL}`;
const blankString = (f: InputField): string => `(${t(f)} = ${T.STRING} AND ${trimWs(s(f))} = '')`;
const emptyString = (f: InputField): string => `(${t(f)} = ${T.STRING} AND ${s(f)} = '')`;
const missing = (f: InputField): string => (f.required ? code("missing") : "NULL");
const isString = (f: InputField): string => `${t(f)} = ${T.STRING}`;

/** What one field kind contributes: the output value and the fault, as SQL over t_/s_ columns. */
interface KindSql {
  value(f: InputField): string;
  fault(f: InputField): string;
}

const kinds: Record<FieldKind, KindSql> = {
  id: {
    value: (f) =>
      `CASE WHEN ${isString(f)} THEN nullif(${trimWs(s(f))}, '') WHEN ${t(f)} IN ${INTS} THEN ${s(f)} END`,
    fault: (f) =>
      `CASE WHEN ${absentOrNull(f)} OR ${blankString(f)} THEN ${missing(f)} ` +
      `WHEN ${isString(f)} OR ${t(f)} IN ${INTS} THEN NULL ELSE ${code("invalid")} END`,
  },
  event_type: {
    value: (f) => `CASE WHEN ${isString(f)} THEN lower(${trimWs(s(f))}) END`,
    fault: (f) =>
      `CASE WHEN ${absentOrNull(f)} OR ${blankString(f)} THEN ${missing(f)} ` +
      `WHEN ${isString(f)} THEN NULL ELSE ${code("invalid")} END`,
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
      `CASE WHEN ${isString(f)} THEN nullif(${s(f)}, '') WHEN ${t(f)} IN ${INTS} THEN ${s(f)} END`,
    fault: (f) =>
      `CASE WHEN coalesce(${t(f)}, ${T.NULL}) IN (${T.NULL}, ${T.STRING}, ${T.INT}) THEN NULL ELSE ${code("invalid")} END`,
  },
  lowercase_text: {
    value: (f) => `CASE WHEN ${isString(f)} THEN nullif(lower(${s(f)}), '') END`,
    fault: (f) =>
      `CASE WHEN coalesce(${t(f)}, ${T.NULL}) IN (${T.NULL}, ${T.STRING}) THEN NULL ELSE ${code("invalid")} END`,
  },
  price: {
    value: (f) =>
      `CASE WHEN ${t(f)} IN ${NUMBERS} THEN try_cast(${s(f)} AS DOUBLE) ` +
      `WHEN ${isString(f)} AND regexp_matches(${s(f)}, ${NUMERIC_STRING}) THEN try_cast(trim(${s(f)}) AS DOUBLE) END`,
    fault: (f) =>
      `CASE WHEN ${absentOrNull(f)} OR ${emptyString(f)} THEN NULL ` +
      `WHEN (${t(f)} IN ${NUMBERS} OR ${isString(f)}) AND isfinite(${f.name}) AND ${f.name} >= 0 THEN NULL ` +
      `ELSE ${code("invalid")} END`,
  },
  quantity: {
    value: (f) =>
      `CASE WHEN ${t(f)} IN ${INTS} AND try_cast(${s(f)} AS HUGEINT) BETWEEN 0 AND ${limits.maxQuantity} ` +
      `THEN try_cast(${s(f)} AS BIGINT) ` +
      `WHEN ${t(f)} = ${T.DOUBLE} AND try_cast(${s(f)} AS DOUBLE) = floor(try_cast(${s(f)} AS DOUBLE)) AND coalesce(${x(f)}, true) ` +
      `AND try_cast(${s(f)} AS DOUBLE) BETWEEN 0 AND ${limits.maxQuantity} THEN try_cast(${s(f)} AS DOUBLE)::BIGINT ` +
      `WHEN ${isString(f)} AND regexp_matches(${s(f)}, ${INTEGER_STRING}) ` +
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
      `CASE WHEN ${t(f)} = ${T.OBJECT} AND NOT properties_pending THEN nullif(map_from_entries(list_filter(` +
      `list_zip(json_keys(${v(f)}), json_extract_string(${v(f)}, '$.*')), e -> e[2] IS NOT NULL)), MAP {}) END`,
    fault: (f) =>
      `CASE WHEN coalesce(${t(f)}, ${T.NULL}) IN (${T.NULL}, ${T.OBJECT}) THEN NULL ELSE ${code("invalid")} END`,
  },
};

/** Whether an object-valued properties field needs the per-record path (see `kinds.properties`). */
export function propertiesPendingSql(f: InputField): string {
  return (
    `coalesce(${t(f)} = ${T.OBJECT} AND (` +
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
      `CASE WHEN ${isString(f)} AND NOT coalesce(${canonical}, false) THEN ` +
      `regexp_extract(${trimWs(s(f))}, ${TIMESTAMP_PATTERN}, ['y', 'mo', 'd', 'h', 'mi', 'sec', 'frac', 'tz']) END`,
    millis: `CASE
      WHEN ${t(f)} IN ${NUMBERS} THEN coalesce(${x(f)},
        CASE WHEN try_cast(${s(f)} AS DOUBLE) >= 1e11 THEN floor(try_cast(${s(f)} AS DOUBLE))
             ELSE floor(try_cast(${s(f)} AS DOUBLE) * 1000) END)
      WHEN ${isString(f)} AND tp IS NULL THEN epoch_ms(try_cast(${s(f)} AS TIMESTAMP))
      WHEN ${isString(f)} AND tp.y <> '' THEN
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

/**
 * Fields whose non-integer number literals a double misjudges: the timestamp (epoch fractions are
 * truncated, whatever the digits) and quantities (whole as written). Their exact verdicts come from the
 * per-record path as `x_<field>`: epoch milliseconds (BIGINT), or whether the literal is whole (BOOLEAN).
 */
export const exactNumberFields = contract.inputFields.filter(
  (f) => f.kind === "timestamp" || f.kind === "quantity",
);

/** The `x_` columns: the input's when it carries them (the per-record path's re-judge), else NULL. */
export function exactColumnsSql(fromInput: boolean): string {
  return exactNumberFields
    .map((f) => (fromInput ? x(f) : `NULL::${f.kind === "timestamp" ? "BIGINT" : "BOOLEAN"} AS ${x(f)}`))
    .join(", ");
}

/** Whether a record's timestamp or quantity is a non-integer literal no exact verdict was given for. */
export function numbersPendingSql(): string {
  return `coalesce(${exactNumberFields.map((f) => `(${t(f)} = ${T.DOUBLE} AND ${x(f)} IS NULL)`).join(" OR ")}, false)`;
}
