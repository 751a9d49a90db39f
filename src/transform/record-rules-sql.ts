import { quotedIdentifier, quotedString } from "@duckdb/node-api";
import { contract, limits, type InputField } from "../contract/data-contract.js";
import {
  exactColumnsSql,
  faultReasonSql,
  fieldFaultSql,
  fieldValueSql,
  jsonTextSql,
  numbersPendingSql,
  propertiesPendingSql,
  timestampSql,
  typeAndTextSql,
} from "./field-rules-sql.js";
import { defineTable } from "./table-definition.js";

/**
 * The per-record rules of the data contract as one DuckDB SELECT, so a whole run is judged in bulk.
 *
 * Input: a relation of candidate records `(obj INTEGER, line INTEGER, sub INTEGER, checked BOOLEAN,
 * raw VARCHAR, kind VARCHAR)`, where `checked` means a strict JSON parser already accepted the text and
 * `kind` says how the text was framed: `fast` (one line that looks like one object: judged here),
 * `other` (a line the per-record path must scan in its object's context) or `object` (a whole object
 * DuckDB cannot read as text: invalid UTF-8 or gzip bytes). Only `fast` records are parsed; the others
 * come out as placeholders with `kind` set, for the per-record path to replace. Output: one row
 * per record with the columns of `judgedColumns`: either `reason`/`field`/`message` set (rejected) or
 * the contract's values filled in (valid). Bound parameters: `$max_event_ms` (processing time plus the
 * future tolerance, epoch ms), `$tolerance_hours`, `$other_category`; the relation `event_categories
 * (event_type, event_category)` holds the configured mapping.
 */
export const judgedColumns = {
  obj: "INTEGER",
  line: "INTEGER",
  sub: "INTEGER",
  kind: "VARCHAR",
  /** The text may hold DuckDB's lenient JSON (NaN, trailing commas): a strict parser must decide. */
  suspect: "BOOLEAN",
  /** properties needs the per-record path (numbers, nested values or repeated keys in it). */
  properties_pending: "BOOLEAN",
  /** The timestamp or a quantity is a non-integer literal: the per-record path judges it exactly. */
  numbers_pending: "BOOLEAN",
  /** Kept only where a reject or a re-check needs it: carrying it for every row would copy the input again. */
  raw: "VARCHAR",
  reason: "VARCHAR",
  field: "VARCHAR",
  message: "VARCHAR",
  event_id: "VARCHAR",
  user_id: "VARCHAR",
  session_id: "VARCHAR",
  event_type: "VARCHAR",
  event_category: "VARCHAR",
  event_time: "TIMESTAMP",
  /** The timestamp normalised (UTC, milliseconds), its date (the partition) and hour. */
  timestamp: "VARCHAR",
  event_date: "DATE",
  hour: "INTEGER",
  has_product_data: "BOOLEAN",
  has_price_data: "BOOLEAN",
  page_url: "VARCHAR",
  referrer: "VARCHAR",
  product_id: "VARCHAR",
  product_name: "VARCHAR",
  product_category: "VARCHAR",
  device_type: "VARCHAR",
  price: "DOUBLE",
  quantity: "BIGINT",
  properties: "MAP(VARCHAR, VARCHAR)",
  unknown_fields: "VARCHAR[]",
} as const;

/**
 * `judged`: every record of the run, valid or rejected, as the rules SQL judges it. Created from this
 * declaration and filled `BY NAME`, so a column the rules SQL adds or drops fails the run (and a test).
 */
export const judgedTable = defineTable("judged", judgedColumns);

const fields = contract.inputFields;
const timestampField = fields.find((f) => f.kind === "timestamp")!;
const propertiesField = fields.find((f) => f.kind === "properties");
const known = [...fields.map((f) => f.name), ...contract.droppedFields];
const reasonMessage = (code: string): string => contract.reasons.find((r) => r.code === code)!.message;

/** A message template of the contract as a SQL string expression, placeholders bound to SQL expressions. */
function messageSql(template: string, values: Record<string, string>): string {
  const parts = template.split(/(\{\w+\})/).filter((p) => p !== "");
  return parts
    .map((p) => {
      const name = /^\{(\w+)\}$/.exec(p)?.[1];
      return name && name in values ? `(${values[name]})::VARCHAR` : quotedString(p);
    })
    .join(" || ");
}

/** A trailing comma before a closing bracket (JSON allows space, tab, LF and CR between tokens). */
const TRAILING_COMMA = quotedString(",[ \\t\\n\\r]*[}\\]]");
/** NaN or Infinity (any case, any sign) where a value starts. */
const LENIENT_NUMBER = quotedString("(?i)[:\\[,][ \\t\\n\\r]*[+-]?(nan|inf)");

/**
 * Whether one value's JSON text (as written) could be a number DuckDB reads and RFC 8259 does not: NaN,
 * Infinity or a signed one; for objects and arrays, whether one could be inside.
 */
function lenientValueSql(x: string): string {
  return `coalesce(CASE ascii(${x}) WHEN 110 THEN ${x} <> 'null' WHEN 78 THEN true WHEN 73 THEN true WHEN 105 THEN true
    WHEN 43 THEN true WHEN 45 THEN NOT (ascii((${x})[2:]) BETWEEN 48 AND 57)
    WHEN 123 THEN regexp_matches(${x}, ${LENIENT_NUMBER}) WHEN 91 THEN regexp_matches(${x}, ${LENIENT_NUMBER}) ELSE false END, false)`;
}

/**
 * `exactNumbers`: the input carries the per-record path's exact verdicts of number literals (`x_<field>`,
 * see field-rules-sql.ts' exactNumberFields), and no record is left pending for them.
 */
export function buildRulesSql(input: string, options: { exactNumbers?: boolean } = {}): string {
  const exactNumbers = options.exactNumbers === true;
  const xs = exactColumnsSql(exactNumbers);
  const xNames = exactColumnsSql(true);
  // One parse per record into a struct of JSON values, keyed by the known fields (a hash lookup per
  // key): cheaper than extracting a list of paths, each looked up on its own.
  const structure = quotedString(JSON.stringify(Object.fromEntries(known.map((f) => [f, "JSON"]))));
  const present = known.map((f) => `(v.${quotedIdentifier(f)} IS NOT NULL)::INTEGER`).join(" + ");
  const extracted = fields.map((f: InputField) => `v.${quotedIdentifier(f.name)} AS v_${f.name}`).join(", ");
  const value = `left(s_${timestampField.name}, 100)`;
  const message = `CASE fault_kind
      WHEN 'missing' THEN ${messageSql(reasonMessage("missing_field"), { field: "fault_field" })}
      WHEN 'invalid' THEN ${messageSql(reasonMessage("invalid_field"), { field: "fault_field" })}
      WHEN 'bad_timestamp' THEN ${messageSql(reasonMessage("invalid_timestamp"), { value })}
      ELSE ${messageSql(reasonMessage("timestamp_out_of_range"), { value, hours: "$tolerance_hours" })} END`;
  const ts = timestampSql(timestampField);
  const pending = propertiesField ? propertiesPendingSql(propertiesField) : "false";
  const outputs = fields
    .filter((f) => f.kind !== "timestamp")
    .flatMap((f) =>
      f.kind === "event_type"
        ? [`j.${f.name}`, `coalesce(c.event_category, $other_category) AS event_category`]
        : [`j.${f.name}`],
    );
  return `
SELECT * EXCLUDE (raw_text, known_suspect),
  -- The text is kept only where a reject or a re-check needs it: for every row it would copy the input.
  CASE WHEN reason IS NOT NULL OR suspect OR properties_pending OR numbers_pending THEN raw_text END AS raw,
  strftime(event_time, '%Y-%m-%dT%H:%M:%S.%gZ') AS "timestamp",
  event_time::DATE AS event_date,
  hour(event_time)::INTEGER AS hour,
  product_id IS NOT NULL AS has_product_data,
  price IS NOT NULL AS has_price_data
FROM (
SELECT *,
  -- A record with unknown fields may hide NaN/Infinity in their values: its whole text is checked.
  known_suspect OR (len(unknown_fields) > 0 AND regexp_matches(raw_text, ${LENIENT_NUMBER})) AS suspect
FROM (
SELECT j.obj, j.line, j.sub, j.kind, j.properties_pending, j.numbers_pending, j.suspect AS known_suspect,
  raw AS raw_text,
  CASE WHEN too_large THEN 'record_too_large' WHEN NOT parsed THEN 'malformed_json'
       ELSE ${faultReasonSql("fault_kind")} END AS reason,
  CASE WHEN parsed THEN fault_field END AS field,
  CASE WHEN too_large THEN ${messageSql(reasonMessage("record_too_large"), { bytes: "strlen(raw)", limit: String(limits.maxRecordBytes) })}
       WHEN NOT parsed THEN ${quotedString(reasonMessage("malformed_json"))}
       WHEN fault_kind IS NOT NULL THEN ${message} END AS message,
  ${outputs.join(", ")},
  CASE WHEN parsed AND fault_kind IS NULL THEN epoch_ms(ts_ms::BIGINT) END AS event_time,
  -- Listing a record's keys costs a parse and a list filter; only records with more keys than the known
  -- ones they carry can have unknown fields, so only those pay for it.
  CASE WHEN parsed AND fault_kind IS NULL THEN
    CASE WHEN len(json_keys(raw)) > known_keys
         THEN list_filter(list_distinct(json_keys(raw)), k -> NOT list_contains([${known.map(quotedString).join(", ")}], k))
         ELSE []::VARCHAR[] END
  END AS unknown_fields
FROM (
  SELECT *,
    -- First fault wins, in the contract's field order.
    coalesce(${fields.map((f) => `fault_${f.name}`).join(", ")}) AS fault_kind,
    CASE ${fields.map((f) => `WHEN fault_${f.name} IS NOT NULL THEN ${quotedString(f.name)}`).join(" ")} END AS fault_field
  FROM (
    SELECT *, ${fields.map((f) => `${fieldFaultSql(f)} AS fault_${f.name}`).join(",\n      ")}
    FROM (
      SELECT *, ${fields
        .filter((f) => f.kind !== "timestamp")
        .map((f) => `${fieldValueSql(f)} AS ${f.name}`)
        .join(",\n        ")}
      FROM (
        SELECT *, ${ts.millis} AS ts_ms
        FROM (
          SELECT *, ${ts.parts} AS tp, ${pending} AS properties_pending,
            ${exactNumbers ? "false" : numbersPendingSql()} AS numbers_pending
          FROM (
            SELECT *, ${fields.map(typeAndTextSql).join(",\n              ")}
            FROM (
            SELECT obj, line, sub, kind, raw, too_large, v IS NOT NULL AS parsed, ${present} AS known_keys, ${xNames},

              -- DuckDB's JSON parser accepts NaN/Infinity and trailing commas, RFC 8259 does not: flag texts
              -- that may hold them, so a strict parser re-checks them. Trailing commas show only in the text;
              -- NaN and Infinity show in the values (kept as written), checked here for the known fields and
              -- below for the rest when a record has unknown fields.
              NOT checked AND v IS NOT NULL AND (regexp_matches(raw, ${TRAILING_COMMA})
                OR ${known.map((f) => lenientValueSql(`v.${quotedIdentifier(f)}::VARCHAR`)).join(" OR ")}) AS suspect,
              ${fields.map((f) => `v_${f.name}`).join(", ")},
              ${fields.map(jsonTextSql).join(", ")}
            FROM (
              SELECT obj, line, sub, kind, checked, raw, too_large, v, ${xNames}, ${extracted}
              FROM (
                -- One parse; what does not parse is NULL (try), also a lone surrogate escape ("\\ud800"), which
                -- JSON.parse takes in records it checked but no UTF-8 text can hold. json_valid first: one
                -- error in a vector makes try() evaluate the whole vector again row by row, so dirty input
                -- (a bad record in most vectors) ran the parse twice.
                SELECT obj, line, sub, kind, checked, raw, too_large, ${xs},
                  CASE WHEN kind = 'fast' AND NOT too_large AND json_valid(raw)
                       THEN try(json_transform(raw, ${structure})) END AS v
                FROM (SELECT *, kind = 'fast' AND strlen(raw) > ${limits.maxRecordBytes} AS too_large FROM ${input})
              )
            )
            )
          )
        )
      )
    )
  )
) j
LEFT JOIN event_categories c ON c.event_type = j.event_type
)
)
`;
}
