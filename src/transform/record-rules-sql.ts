import { quotedString } from "@duckdb/node-api";
import { droppedFields } from "./event-schema.js";

/**
 * The per-record rules of the data contract (docs/data-contract.md) as one DuckDB SELECT, so a whole
 * run is validated and normalised in bulk. Input: a relation `staged(seq, obj, line, checked, raw)`.
 * Output: one row per record with either `reason`/`field`/`message` set (rejected) or the contract
 * columns filled (valid). The Glue job implements the same rules in glue/clickstream_rules.py; both are
 * checked against test/vectors/.
 */
export interface RuleOptions {
  /** Processing time, epoch milliseconds. */
  readonly nowMs: number;
  readonly futureToleranceMs: number;
  readonly eventCategories: Readonly<Record<string, string>>;
  readonly otherCategory: string;
}

/** Input fields the contract knows, in the order their faults are reported (first fault wins). */
export const inputFields = [
  "event_id",
  "user_id",
  "session_id",
  "event_type",
  "timestamp",
  "page_url",
  "referrer",
  "product_id",
  "product_name",
  "product_category",
  "device_type",
  "price",
  "quantity",
] as const;
type InputField = (typeof inputFields)[number];

/** Earliest accepted event time: 2000-01-01T00:00:00Z. */
export const minEventTimeMs = Date.UTC(2000, 0, 1);

/** Whitespace trimmed from ids and event types: space, tab, LF, CR, FF, VT. */
const WS = `' \t\n\r\f\v'`;
const INT_TYPES = `('BIGINT', 'UBIGINT')`;
const NUM_TYPES = `('BIGINT', 'UBIGINT', 'DOUBLE')`;
/** Largest quantity accepted: 2^53 - 1, exact in every engine (JS, Python, DuckDB). */
const MAX_QUANTITY = "9007199254740991";
const NUMERIC_STRING = `'^\\s*[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?\\s*$'`;
const INTEGER_STRING = `'^\\s*[+-]?[0-9]+\\s*$'`;
const TIMESTAMP_PATTERN =
  `'^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])` +
  `(\\.[0-9]{1,9})?(Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?$'`;

const CANONICAL_TIMESTAMP = `'[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\\.[0-9]{3}Z'`;

const sqlString = quotedString;
const idx = (field: InputField): number => inputFields.indexOf(field) + 1;
const t = (field: InputField): string => `t_${field}`;
const s = (field: InputField): string => `s_${field}`;

/** The full SELECT over `input` (columns seq BIGINT, obj INTEGER, line INTEGER, checked BOOLEAN, raw VARCHAR). */
export function buildRulesSql(options: RuleOptions, input = "staged"): string {
  // The dropped fields are extracted too, only to count which known keys a record has (see unknown_fields).
  const paths = [...inputFields, ...droppedFields].map((f) => sqlString(`$."${f}"`)).join(", ");
  const knownPresent = [...inputFields, ...droppedFields]
    .map((_, i) => `(v[${i + 1}] IS NOT NULL)::INTEGER`)
    .join(" + ");
  const known = [...inputFields, ...droppedFields].map(sqlString).join(", ");
  // Each extracted value is JSON text; its type shows in its first character, and a string without escapes
  // is its text between the quotes. String functions on that text cost far less than json_type and ->>,
  // which would parse every value again.
  const typeAndText = inputFields
    .map((f) => {
      const j = `v[${idx(f)}]::VARCHAR`;
      const first = `left(${j}, 1)`;
      const type =
        `CASE WHEN v[${idx(f)}] IS NULL THEN NULL ELSE CASE ${first} WHEN '"' THEN 'VARCHAR' WHEN 'n' THEN 'NULL' WHEN 't' THEN 'BOOLEAN' WHEN 'f' THEN 'BOOLEAN' ` +
        `WHEN '{' THEN 'OBJECT' WHEN '[' THEN 'ARRAY' ELSE CASE WHEN regexp_matches(${j}, '[.eEnNI]') THEN 'DOUBLE' ` +
        // An integer literal outside 64 bits is a real number to DuckDB and to the Glue engine alike.
        `WHEN ${first} = '-' THEN CASE WHEN try_cast(${j} AS BIGINT) IS NULL THEN 'DOUBLE' ELSE 'BIGINT' END ` +
        `ELSE CASE WHEN try_cast(${j} AS UBIGINT) IS NULL THEN 'DOUBLE' ELSE 'UBIGINT' END END END END`;
      const text =
        `CASE WHEN ${first} <> '"' THEN ${j} WHEN contains(${j}, '\\') THEN v[${idx(f)}] ->> '$' ` +
        `ELSE (${j})[2:-2] END`;
      return `${type} AS ${t(f)}, ${text} AS ${s(f)}`;
    })
    .join(",\n      ");

  const idValue = (f: InputField): string =>
    `CASE WHEN ${t(f)} = 'VARCHAR' THEN nullif(trim(${s(f)}, ${WS}), '') WHEN ${t(f)} IN ${INT_TYPES} THEN ${s(f)} END`;
  const idFault = (f: InputField, required: boolean): string =>
    `CASE WHEN ${t(f)} IS NULL OR ${t(f)} = 'NULL' OR (${t(f)} = 'VARCHAR' AND trim(${s(f)}, ${WS}) = '') ` +
    `THEN ${required ? "'missing'" : "NULL"} WHEN ${t(f)} = 'VARCHAR' OR ${t(f)} IN ${INT_TYPES} THEN NULL ELSE 'invalid' END`;
  const textValue = (f: InputField): string =>
    `CASE WHEN ${t(f)} = 'VARCHAR' THEN nullif(${s(f)}, '') WHEN ${t(f)} IN ${INT_TYPES} THEN ${s(f)} END`;
  const textFault = (f: InputField): string =>
    `CASE WHEN ${t(f)} IS NULL OR ${t(f)} IN ('NULL', 'VARCHAR', 'BIGINT', 'UBIGINT') THEN NULL ELSE 'invalid' END`;

  const categories = Object.entries(options.eventCategories)
    .map(([type, category]) => `WHEN ${sqlString(type)} THEN ${sqlString(category)}`)
    .join(" ");
  const maxMs = options.nowMs + options.futureToleranceMs;

  // Milliseconds since the epoch of the timestamp field, or NULL when it does not parse.
  const tsParts = `regexp_extract(trim(${s("timestamp")}, ${WS}), ${TIMESTAMP_PATTERN}, ['y', 'mo', 'd', 'h', 'mi', 'sec', 'frac', 'tz'])`;

  return `
SELECT *,
  strftime(event_time, '%Y-%m-%dT%H:%M:%S.%gZ') AS "timestamp",
  event_time::DATE AS event_date,
  hour(event_time)::INTEGER AS hour,
  product_id IS NOT NULL AS has_product_data,
  price IS NOT NULL AS has_price_data
FROM (
WITH extracted AS (
  SELECT seq, obj, line, raw,
    -- json_valid even for records Node parsed: JSON.parse accepts a lone surrogate escape ("\ud800"),
    -- which no UTF-8 text can hold and on which DuckDB's extraction would fail the whole run.
    CASE WHEN json_valid(raw) THEN json_extract(raw, [${paths}]) END AS v,
    -- DuckDB's reader accepts NaN/Infinity and trailing commas, RFC 8259 does not: flag lines that may
    -- hold them so the caller re-checks them with a strict parser (rare, so it costs nothing).
    NOT checked AND regexp_matches(raw, '(?i)[:\\[,]\\s*[+-]?(nan|inf)|,\\s*[}\\]]') AS suspect
  FROM ${input}
),
typed AS (
  SELECT seq, obj, line, raw, suspect, v IS NOT NULL AS parsed, ${knownPresent} AS known_keys,
      ${typeAndText}
  FROM extracted
),
ts AS (
  SELECT *,
    CASE
      WHEN t_timestamp IN ${NUM_TYPES} THEN
        CASE WHEN try_cast(s_timestamp AS DOUBLE) >= 1e11 THEN floor(try_cast(s_timestamp AS DOUBLE))
             ELSE floor(try_cast(s_timestamp AS DOUBLE) * 1000) END
      WHEN canonical_ts THEN epoch_ms(try_cast(s_timestamp AS TIMESTAMP))
      WHEN t_timestamp = 'VARCHAR' AND tp.y <> '' THEN
        epoch_ms(try_cast(tp.y || '-' || tp.mo || '-' || tp.d || ' ' || tp.h || ':' || tp.mi || ':' || tp.sec AS TIMESTAMP))
          + coalesce(try_cast(rpad(substr(tp.frac, 2, 3), 3, '0') AS BIGINT), 0)
          - CASE WHEN tp.tz IN ('', 'Z') THEN 0
                 ELSE (CASE WHEN substr(tp.tz, 1, 1) = '-' THEN -1 ELSE 1 END)
                      * (substr(tp.tz, 2, 2)::BIGINT * 60 + substr(tp.tz, 5, 2)::BIGINT) * 60000 END
    END AS ts_ms
  FROM (
    SELECT *, CASE WHEN t_timestamp = 'VARCHAR' AND NOT canonical_ts THEN ${tsParts} END AS tp
    FROM (
      -- Most producers send the canonical form; a plain match is far cheaper than extracting the parts.
      SELECT *, t_timestamp = 'VARCHAR' AND coalesce(regexp_full_match(s_timestamp, ${CANONICAL_TIMESTAMP}), false) AS canonical_ts
      FROM typed
    )
  )
),
checked AS (
  SELECT seq, obj, line, raw, suspect, parsed, known_keys, t_timestamp, s_timestamp, ts_ms,
    ${idValue("event_id")} AS event_id,
    ${idValue("user_id")} AS user_id,
    ${idValue("session_id")} AS session_id,
    lower(trim(s_event_type, ${WS})) AS event_type,
    ${textValue("page_url")} AS page_url,
    ${textValue("referrer")} AS referrer,
    ${textValue("product_id")} AS product_id,
    ${textValue("product_name")} AS product_name,
    ${textValue("product_category")} AS product_category,
    CASE WHEN t_device_type = 'VARCHAR' THEN nullif(lower(s_device_type), '') END AS device_type,
    CASE
      WHEN t_price IN ${NUM_TYPES} THEN try_cast(s_price AS DOUBLE)
      WHEN t_price = 'VARCHAR' AND regexp_matches(s_price, ${NUMERIC_STRING}) THEN try_cast(trim(s_price) AS DOUBLE)
    END AS price,
    CASE
      WHEN t_quantity IN ${INT_TYPES} AND try_cast(s_quantity AS HUGEINT) BETWEEN 0 AND ${MAX_QUANTITY}
        THEN try_cast(s_quantity AS BIGINT)
      WHEN t_quantity = 'DOUBLE' AND try_cast(s_quantity AS DOUBLE) = floor(try_cast(s_quantity AS DOUBLE))
        AND try_cast(s_quantity AS DOUBLE) BETWEEN 0 AND ${MAX_QUANTITY} THEN try_cast(s_quantity AS DOUBLE)::BIGINT
      WHEN t_quantity = 'VARCHAR' AND regexp_matches(s_quantity, ${INTEGER_STRING})
        AND try_cast(trim(s_quantity) AS HUGEINT) BETWEEN 0 AND ${MAX_QUANTITY} THEN try_cast(trim(s_quantity) AS BIGINT)
    END AS quantity,
    ${idFault("event_id", true)} AS f_0,
    ${idFault("user_id", true)} AS f_1,
    ${idFault("session_id", false)} AS f_2,
    CASE WHEN t_event_type IS NULL OR t_event_type = 'NULL' OR (t_event_type = 'VARCHAR' AND trim(s_event_type, ${WS}) = '') THEN 'missing'
           WHEN t_event_type = 'VARCHAR' THEN NULL ELSE 'invalid' END AS f_3,
    CASE WHEN t_timestamp IS NULL OR t_timestamp = 'NULL' OR (t_timestamp = 'VARCHAR' AND trim(s_timestamp, ${WS}) = '') THEN 'missing'
           WHEN ts_ms IS NULL THEN 'bad_timestamp'
           WHEN ts_ms < ${minEventTimeMs} OR ts_ms > ${maxMs} THEN 'out_of_range' END AS f_4,
    ${textFault("page_url")} AS f_5,
    ${textFault("referrer")} AS f_6,
    ${textFault("product_id")} AS f_7,
    ${textFault("product_name")} AS f_8,
    ${textFault("product_category")} AS f_9,
    CASE WHEN t_device_type IS NULL OR t_device_type IN ('NULL', 'VARCHAR') THEN NULL ELSE 'invalid' END AS f_10,
    CASE WHEN t_price IS NULL OR t_price = 'NULL' OR (t_price = 'VARCHAR' AND s_price = '') THEN NULL
           WHEN (t_price IN ${NUM_TYPES} OR t_price = 'VARCHAR') AND isfinite(price) AND price >= 0 THEN NULL
           ELSE 'invalid' END AS f_11,
    CASE WHEN t_quantity IS NULL OR t_quantity = 'NULL' OR (t_quantity = 'VARCHAR' AND s_quantity = '') THEN NULL
           WHEN quantity IS NOT NULL THEN NULL ELSE 'invalid' END AS f_12
  FROM ts
),
judged AS (
  -- First fault wins: the first non-NULL of the per-field faults, in contract order.
  SELECT *, coalesce(${inputFields.map((_, k) => `f_${k}`).join(", ")}) AS fault_kind,
    CASE ${inputFields.map((f, k) => `WHEN f_${k} IS NOT NULL THEN ${sqlString(f)}`).join(" ")} END AS fault_field
  FROM checked
)
SELECT seq, obj, line, suspect,
  -- The raw text is kept only where a reject or a re-check needs it: carrying it for every row would
  -- copy the whole input once more.
  CASE WHEN NOT parsed OR fault_kind IS NOT NULL OR suspect THEN raw END AS raw,
  CASE
    WHEN NOT parsed THEN 'malformed_json'
    WHEN fault_kind IS NULL THEN NULL
    ELSE CASE fault_kind
      WHEN 'missing' THEN 'missing_field'
      WHEN 'invalid' THEN 'invalid_field'
      WHEN 'bad_timestamp' THEN 'invalid_timestamp'
      ELSE 'timestamp_out_of_range' END
  END AS reason,
  CASE WHEN parsed THEN fault_field END AS field,
  CASE
    WHEN NOT parsed THEN 'the text is not valid JSON'
    WHEN fault_kind IS NULL THEN NULL
    ELSE CASE fault_kind
      WHEN 'missing' THEN fault_field || ' is required and was absent, null or blank'
      WHEN 'invalid' THEN fault_field || ' has a value of the wrong type or out of range'
      WHEN 'bad_timestamp' THEN 'timestamp ' || left(coalesce(s_timestamp, t_timestamp), 100) || ' is neither ISO-8601 nor epoch seconds/milliseconds'
      ELSE 'timestamp ' || left(s_timestamp, 100) || ' is before 2000-01-01T00:00:00Z or more than '
           || ${Math.round(options.futureToleranceMs / 3_600_000)} || ' h after processing time' END
  END AS message,
  event_id, user_id, session_id, event_type,
  CASE event_type ${categories} ELSE ${sqlString(options.otherCategory)} END AS event_category,
  CASE WHEN parsed AND fault_kind IS NULL THEN epoch_ms(ts_ms::BIGINT) END AS event_time,
  page_url, referrer, product_id, product_name, product_category, device_type, price, quantity,
  -- Listing a record's keys costs a parse and a list filter; only records with more keys than the known
  -- ones they carry can have unknown fields, so only those pay for it.
  CASE WHEN parsed AND fault_kind IS NULL THEN
    CASE WHEN len(json_keys(raw)) > known_keys
         THEN list_filter(list_distinct(json_keys(raw)), k -> NOT list_contains([${known}], k))
         ELSE []::VARCHAR[] END
  END AS unknown_fields
FROM judged
)
`;
}
