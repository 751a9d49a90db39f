/**
 * queries/dashboard-filtered.sql is generated from queries/dashboard.sql: the same statements, each with
 * its range CTE (`events`) replaced by one that keeps the sessions the dashboard's filters match (four
 * more bound parameters). The console derives the filtered statements the same way at start, and a test
 * checks the checked-in file against this, so the nine statements are written once.
 * Regenerate the file with `node scripts/generate-dashboard-sql.mjs` after editing dashboard.sql.
 */

/** How every statement of dashboard.sql begins: the range as a filter on the partition keys. */
const rangeCte = `WITH events AS (
  SELECT *
  FROM transformed
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
)`;

/** How statements over the sessions table begin: the sessions that start in the range. */
const sessionsRangeCte = `WITH sessions_in_range AS (
  SELECT *
  FROM sessions
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
)`;

/** Its filtered replacement: parameters 3–6 are the filters, '' = no filter. */
const filteredCte = `WITH in_range AS (
  SELECT *
  FROM transformed
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
),
filters AS (
  SELECT CAST(? AS VARCHAR) AS event_type, CAST(? AS VARCHAR) AS device_type,
         CAST(? AS VARCHAR) AS referrer, CAST(? AS VARCHAR) AS page
),
kept_sessions AS (
  SELECT e.session_id
  FROM in_range e CROSS JOIN filters f
  GROUP BY e.session_id, f.event_type, f.device_type, f.referrer, f.page
  HAVING (f.event_type = '' OR COUNT_IF(e.event_type = f.event_type) > 0)
     AND (f.device_type = '' OR COUNT_IF(e.device_type = f.device_type) > 0)
     AND (f.referrer = '' OR COUNT_IF(CASE WHEN f.referrer = '' THEN false
                                           ELSE COALESCE(url_extract_host(e.referrer), e.referrer) = f.referrer END) > 0)
     AND (f.page = '' OR COUNT_IF(CASE WHEN f.page = '' THEN false
                                       ELSE url_extract_path(e.page_url) = f.page END) > 0)
),
events AS (
  SELECT * FROM in_range WHERE session_id IN (SELECT session_id FROM kept_sessions)
)`;

/** The sessions statements' filtered range: the kept sessions (the range again as parameters 7, 8). */
const filteredSessionsCte = `${filteredCte.slice(0, filteredCte.lastIndexOf(",\nevents AS ("))},
sessions_in_range AS (
  SELECT *
  FROM sessions
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
    AND session_id IN (SELECT session_id FROM kept_sessions)
)`;

const header = `-- The web console's dashboard with its filters (clickstream console), in the Athena dialect: the statements
-- of queries/dashboard.sql over the sessions the filters keep. Each takes six bound parameters (\`?\`, never
-- pasted):
--   1, 2  first and last event date of the range, 'YYYY-MM-DD' (inclusive, UTC)
--   3..6  filters: event_type, device_type, referrer (host, or the referrer itself when it has none),
--         page (the path of page_url); '' = no filter
-- A filter keeps the sessions with at least one in-range event matching it; figures are computed over all
-- in-range events of the kept sessions. Statements over the sessions table take the range again as
-- parameters 7 and 8 (the kept sessions' rows, by their start). Run one with, for example:
--   clickstream query --file queries/dashboard-filtered.sql --name overview \\
--     --param 2026-11-18 --param 2026-11-24 --param '' --param mobile --param '' --param ''

`;

/** One statement of dashboard.sql with the filters applied. */
export function filteredStatement(sql: string, name: string): string {
  const [from, to] = readsSessions(sql) ? [sessionsRangeCte, filteredSessionsCte] : [rangeCte, filteredCte];
  const at = sql.indexOf(from);
  if (at === -1 || sql.indexOf(from, at + 1) !== -1) {
    throw new Error(
      `dashboard.sql: statement "${name}" must begin its WITH with the range CTE (events or sessions) exactly once`,
    );
  }
  return sql.replace(from, to);
}

/** Whether a statement reads the sessions table (its filtered form binds the range twice). */
export function readsSessions(sql: string): boolean {
  return sql.includes(sessionsRangeCte) || sql.includes("\nsessions_in_range AS (\n");
}

/** The text of queries/dashboard-filtered.sql for a text of queries/dashboard.sql. */
export function filteredDashboardFile(plainText: string): string {
  const body = plainText.slice(plainText.indexOf("-- name:"));
  return header + body.replaceAll(sessionsRangeCte, filteredSessionsCte).replaceAll(rangeCte, filteredCte);
}
