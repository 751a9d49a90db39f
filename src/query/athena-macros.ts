/**
 * DuckDB macros that implement Athena (Trino) functions whose DuckDB namesakes answer differently.
 * The rewrite step (athena-dialect.ts) renames calls to these; they are created as TEMP macros, so
 * they live in the session only and need no write access.
 */
export const athenaMacros: readonly string[] = [
  // Trino returns NULL when the index is past the last field; DuckDB returns ''.
  `CREATE TEMP MACRO athena_split_part(s, d, i) AS
     CASE WHEN i > len(string_split(s, d)) THEN NULL ELSE split_part(s, d, i) END`,
  // Trino returns NULL when the pattern does not match; DuckDB returns ''.
  `CREATE TEMP MACRO athena_regexp_extract(s, p) AS
     CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p) ELSE NULL END,
   (s, p, g) AS CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p, g) ELSE NULL END`,
  // ISO 8601 text as Trino prints it: date → 2026-11-05, timestamp → …T14:03:07.123, with zone → …Z.
  `CREATE TEMP MACRO athena_to_iso8601(x) AS
     CASE typeof(x)
       WHEN 'DATE' THEN strftime(x, '%Y-%m-%d')
       WHEN 'TIMESTAMP WITH TIME ZONE' THEN strftime(x, '%Y-%m-%dT%H:%M:%S.%gZ')
       ELSE strftime(x, '%Y-%m-%dT%H:%M:%S.%g') END`,
  // URL parts as java.net.URI splits them: scheme://host:port/path?query#fragment; NULL when absent.
  `CREATE TEMP MACRO athena_url_extract_protocol(u) AS
     nullif(regexp_extract(u, '^([A-Za-z][A-Za-z0-9+.-]*):', 1), '')`,
  `CREATE TEMP MACRO athena_url_extract_host(u) AS
     nullif(regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?(\\[[^\\]]*\\]|[^:/?#]*)', 1), '')`,
  `CREATE TEMP MACRO athena_url_extract_port(u) AS
     TRY_CAST(nullif(regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?(?:\\[[^\\]]*\\]|[^:/?#]*):([0-9]+)', 1), '') AS BIGINT)`,
  `CREATE TEMP MACRO athena_url_extract_path(u) AS
     regexp_extract(u, '^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)', 1)`,
  `CREATE TEMP MACRO athena_url_extract_query(u) AS
     CASE WHEN regexp_matches(u, '\\?') THEN regexp_extract(u, '\\?([^#]*)', 1) ELSE NULL END`,
  `CREATE TEMP MACRO athena_url_extract_fragment(u) AS
     CASE WHEN regexp_matches(u, '#') THEN regexp_extract(u, '#(.*)$', 1) ELSE NULL END`,
  // First value of a query parameter; '' for a bare `name`, NULL when the parameter is absent.
  `CREATE TEMP MACRO athena_url_extract_parameter(u, name) AS
     (SELECT CASE WHEN p IS NULL THEN NULL WHEN strpos(p, '=') = 0 THEN '' ELSE substr(p, strpos(p, '=') + 1) END
      FROM (SELECT list_filter(
              string_split(coalesce(athena_url_extract_query(u), ''), '&'),
              lambda kv: split_part(kv, '=', 1) = name)[1] AS p))`,
  // Trino's greatest/least return NULL when any argument is NULL; DuckDB's skip NULLs.
];

/** The names of the macros above (the rewrite's targets). */
export const athenaMacroNames: readonly string[] = athenaMacros.flatMap(
  (sql) => /CREATE TEMP MACRO (\w+)/.exec(sql)?.slice(1) ?? [],
);
