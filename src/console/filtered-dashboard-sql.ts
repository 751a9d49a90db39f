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

/**
 * The filtered replacement of either: parameters 3–6 are the filters ('' = no filter), 7 and 8 the range
 * again (for the sessions). The kept sessions are the sessions table's rows starting in the range that
 * the filters keep: device and source are the session's own (its first event's, as the devices and
 * sources panels count them); an event type or a page needs one of the session's in-range events to
 * match (`event_hits`, a pass over the events).
 */
const filteredHead = `WITH in_range AS (
  SELECT *
  FROM transformed
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
),
filters AS (
  SELECT CAST(? AS VARCHAR) AS event_type, CAST(? AS VARCHAR) AS device_type,
         CAST(? AS VARCHAR) AS referrer, CAST(? AS VARCHAR) AS page
),`;

const eventHitsCte = `
event_hits AS (
  SELECT e.session_id
  FROM in_range e CROSS JOIN filters f
  GROUP BY e.session_id, f.event_type, f.page
  HAVING (f.event_type = '' OR COUNT_IF(e.event_type = f.event_type) > 0)
     AND (f.page = '' OR COUNT_IF(CASE WHEN f.page = '' THEN false
                                       ELSE url_extract_path(e.page_url) = f.page END) > 0)
),`;

const keptSessionsCte = (eventFilters: boolean) => `
kept_sessions AS (
  SELECT s.*
  FROM sessions s CROSS JOIN filters f
  WHERE s.year || '-' || s.month || '-' || s.day BETWEEN ? AND ?
    AND (f.device_type = '' OR s.device_type = f.device_type)
    AND (f.referrer = '' OR COALESCE(url_extract_host(s.referrer), s.referrer, '(direct)') = f.referrer)${
      eventFilters ? "\n    AND s.session_id IN (SELECT session_id FROM event_hits)" : ""
    }
)`;

/** The filtered range of a statement over the events, or over the sessions (`sessions_in_range`). */
function filteredCte(over: "events" | "sessions", eventFilters: boolean): string {
  const tail =
    over === "events"
      ? `events AS (\n  SELECT * FROM in_range WHERE session_id IN (SELECT session_id FROM kept_sessions)\n)`
      : `sessions_in_range AS (\n  SELECT * FROM kept_sessions\n)`;
  return `${filteredHead}${eventFilters ? eventHitsCte : ""}${keptSessionsCte(eventFilters)},\n${tail}`;
}

const header = `-- The web console's dashboard with its filters (clickstream console), in the Athena dialect: the statements
-- of queries/dashboard.sql over the sessions the filters keep. Each takes eight bound parameters (\`?\`, never
-- pasted):
--   1, 2  first and last event date of the range, 'YYYY-MM-DD' (inclusive, UTC)
--   3..6  filters: event_type, device_type, referrer (host, or the referrer itself when it has none, or
--         '(direct)'), page (the path of page_url); '' = no filter
--   7, 8  the range again (the sessions that start in it)
-- A filter keeps the sessions starting in the range whose device or source (their first event's) is the
-- one filtered on, or that have an in-range event of the event type or on the page; figures are computed
-- over the kept sessions and their in-range events. Run one with, for example:
--   clickstream query --file queries/dashboard-filtered.sql --name overview \\
--     --param 2026-11-18 --param 2026-11-24 --param '' --param mobile --param '' --param '' \\
--     --param 2026-11-18 --param 2026-11-24

`;

/**
 * One statement of dashboard.sql with the filters applied. With `eventFilters` false, the variant for
 * device and source filters alone: the kept sessions come from the sessions table without a pass over
 * the events (the console uses it when no event type or page filter is set; same parameters).
 */
export function filteredStatement(sql: string, name: string, eventFilters = true): string {
  const over = sql.includes(sessionsRangeCte) ? "sessions" : "events";
  const from = over === "sessions" ? sessionsRangeCte : rangeCte;
  const at = sql.indexOf(from);
  if (at === -1 || sql.indexOf(from, at + 1) !== -1) {
    throw new Error(
      `dashboard.sql: statement "${name}" must begin its WITH with the range CTE (events or sessions) exactly once`,
    );
  }
  return sql.replace(from, filteredCte(over, eventFilters));
}

/** The text of queries/dashboard-filtered.sql for a text of queries/dashboard.sql. */
export function filteredDashboardFile(plainText: string): string {
  const body = plainText.slice(plainText.indexOf("-- name:"));
  return (
    header +
    body
      .replaceAll(sessionsRangeCte, filteredCte("sessions", true))
      .replaceAll(rangeCte, filteredCte("events", true))
  );
}
