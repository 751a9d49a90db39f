import { quotedIdentifier, quotedString } from "@duckdb/node-api";
import { contract, limits, type InputField } from "../contract/data-contract.js";
import {
  faultReasonSql,
  fieldFaultSql,
  fieldValueSql,
  propertiesPendingSql,
  timestampSql,
  typeAndTextSql,
} from "./field-rules-sql.js";

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

export function buildRulesSql(input: string): string {
  // One parse per record into a struct of JSON values, keyed by the known fields (a hash lookup per
  // key): cheaper than extracting a list of paths, each looked up on its own.
  const structure = quotedString(JSON.stringify(Object.fromEntries(known.map((f) => [f, "JSON"]))));
  const present = known.map((f) => `(v.${quotedIdentifier(f)} IS NOT NULL)::INTEGER`).join(" + ");
  const extracted = fields.map((f: InputField) => `v.${quotedIdentifier(f.name)} AS v_${f.name}`).join(", ");
  const value = `left(coalesce(s_${timestampField.name}, t_${timestampField.name}), 100)`;
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
SELECT *,
  strftime(event_time, '%Y-%m-%dT%H:%M:%S.%gZ') AS "timestamp",
  event_time::DATE AS event_date,
  hour(event_time)::INTEGER AS hour,
  product_id IS NOT NULL AS has_product_data,
  price IS NOT NULL AS has_price_data
FROM (
SELECT j.obj, j.line, j.sub, j.kind, j.suspect, j.properties_pending,
  CASE WHEN NOT parsed OR fault_kind IS NOT NULL OR suspect OR properties_pending THEN raw END AS raw,
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
          SELECT *, ${ts.parts} AS tp, ${pending} AS properties_pending
          FROM (
            SELECT obj, line, sub, kind, raw, too_large, suspect, v IS NOT NULL AS parsed, ${present} AS known_keys,
              ${fields.map((f) => `v_${f.name}`).join(", ")},
              ${fields.map(typeAndTextSql).join(",\n              ")}
            FROM (
              SELECT obj, line, sub, kind, raw, too_large, v, ${extracted},
                -- DuckDB's reader accepts NaN/Infinity and trailing commas, RFC 8259 does not: flag texts that
                -- may hold them so a strict parser re-checks them (rare, so it costs little).
                NOT checked AND v IS NOT NULL
                  AND regexp_matches(raw, '(?i)[:\\[,]\\s*[+-]?(nan|inf)|,\\s*[}\\]]') AS suspect
              FROM (
                -- json_valid first, even for texts a strict parser accepted: JSON.parse takes a lone
                -- surrogate escape ("\\ud800"), which no UTF-8 text can hold and on which extraction fails.
                SELECT obj, line, sub, kind, checked, raw, too_large,
                  CASE WHEN kind = 'fast' AND NOT too_large AND json_valid(raw) THEN json_transform(raw, ${structure}) END AS v
                FROM (SELECT *, kind = 'fast' AND strlen(raw) > ${limits.maxRecordBytes} AS too_large FROM ${input})
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
`;
}
