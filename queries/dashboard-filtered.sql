-- The web console's dashboard with its filters (clickstream console), in the Athena dialect: the statements
-- of queries/dashboard.sql over the sessions the filters keep. Each takes six bound parameters (`?`, never
-- pasted):
--   1, 2  first and last event date of the range, 'YYYY-MM-DD' (inclusive, UTC)
--   3..6  filters: event_type, device_type, referrer (host, or the referrer itself when it has none),
--         page (the path of page_url); '' = no filter
-- A filter keeps the sessions with at least one in-range event matching it; figures are computed over all
-- in-range events of the kept sessions. Run one with, for example:
--   clickstream query --file queries/dashboard-filtered.sql --name overview \
--     --param 2026-11-18 --param 2026-11-24 --param '' --param mobile --param '' --param ''

-- name: overview
-- Tiles: visitors, sessions, page views, bounce rate, visit duration, conversion, revenue
WITH in_range AS (
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
),
per_session_user AS (
  -- One pass over the events: everything the tiles need, per session and visitor (a session has one
  -- visitor, but nothing here depends on it). A visitor is the tracker's anonymous id where the event has
  -- one (it stays when `identify` switches user_id), else user_id.
  SELECT session_id,
         COALESCE(element_at(properties, 'anonymous_id'), user_id) AS visitor,
         COUNT(*) AS events,
         MIN(event_time) AS first_time,
         MAX(event_time) AS last_time,
         COUNT_IF(event_type = 'purchase') AS purchases,
         COUNT_IF(event_type = 'page_view') AS pageviews,
         SUM(CASE WHEN event_type = 'purchase' THEN price * quantity END) AS revenue
  FROM events
  GROUP BY 1, 2
),
per_session AS (
  SELECT session_id,
         SUM(events) AS events,
         date_diff('millisecond', MIN(first_time), MAX(last_time)) AS duration_ms,
         SUM(purchases) AS purchases
  FROM per_session_user
  WHERE session_id IS NOT NULL
  GROUP BY session_id
),
totals AS (
  SELECT COUNT(DISTINCT visitor) AS visitors,
         COALESCE(SUM(pageviews), 0) AS pageviews,
         COALESCE(SUM(revenue), 0) AS revenue
  FROM per_session_user
),
session_totals AS (
  SELECT COUNT(*) AS sessions,
         COUNT_IF(events = 1) AS bounces,
         AVG(CAST(duration_ms AS DOUBLE) / 1000) AS avg_session_duration_s,
         COUNT_IF(purchases > 0) AS converted
  FROM per_session
)
SELECT t.visitors,
       s.sessions,
       t.pageviews,
       CAST(s.bounces AS DOUBLE) / NULLIF(s.sessions, 0) AS bounce_rate,
       s.avg_session_duration_s,
       CAST(s.converted AS DOUBLE) / NULLIF(s.sessions, 0) AS conversion_rate,
       t.revenue
FROM totals t CROSS JOIN session_totals s;

-- name: timeseries hourly
-- Events and visitors per hour (ranges up to 2 days)
WITH in_range AS (
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
)
SELECT date_trunc('hour', event_time) AS bucket,
       COUNT(*) AS events,
       COUNT(DISTINCT COALESCE(element_at(properties, 'anonymous_id'), user_id)) AS visitors
FROM events
GROUP BY 1
ORDER BY 1;

-- name: timeseries daily
-- Events and visitors per day (ranges over 2 days)
WITH in_range AS (
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
)
SELECT event_date AS bucket,
       COUNT(*) AS events,
       COUNT(DISTINCT COALESCE(element_at(properties, 'anonymous_id'), user_id)) AS visitors
FROM events
GROUP BY 1
ORDER BY 1;

-- name: top pages
-- Top pages by events on them (the path of page_url), with their page views
WITH in_range AS (
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
)
SELECT url_extract_path(page_url) AS page,
       COUNT(*) AS events,
       COUNT_IF(event_type = 'page_view') AS pageviews
FROM events
WHERE page_url IS NOT NULL
GROUP BY 1
ORDER BY events DESC, page
LIMIT 10;

-- name: sources
-- Sources: the referrer of each session's first event (its landing, for sessions that start in the range),
-- same-site referrers excluded, in sessions
WITH in_range AS (
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
)
SELECT COALESCE(url_extract_host(referrer), referrer, '(direct)') AS source,
       COUNT(DISTINCT session_id) AS sessions
FROM events
WHERE is_session_start
  AND (referrer IS NULL
       OR COALESCE(url_extract_host(referrer), referrer) <> COALESCE(url_extract_host(page_url), ''))
GROUP BY 1
ORDER BY sessions DESC, source
LIMIT 10;

-- name: devices
-- Devices, in sessions
WITH in_range AS (
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
)
SELECT COALESCE(device_type, '(unknown)') AS device,
       COUNT(DISTINCT session_id) AS sessions
FROM events
GROUP BY 1
ORDER BY sessions DESC, device;

-- name: event types
-- Event types: events and their share
WITH in_range AS (
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
)
SELECT event_type,
       COUNT(*) AS events,
       CAST(COUNT(*) AS DOUBLE) / SUM(COUNT(*)) OVER () AS share
FROM events
GROUP BY 1
ORDER BY events DESC, event_type;

-- name: product categories
-- Product categories: views, purchases and revenue
WITH in_range AS (
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
)
SELECT product_category AS category,
       COUNT_IF(event_type = 'product_view') AS views,
       COUNT_IF(event_type = 'purchase') AS purchases,
       COALESCE(SUM(CASE WHEN event_type = 'purchase' THEN price * quantity END), 0) AS revenue
FROM events
WHERE product_category IS NOT NULL
GROUP BY 1
ORDER BY views DESC, category
LIMIT 10;

-- name: funnel
-- Product funnel by session: product_view, add_to_cart, checkout_start, purchase, with drop-off
WITH in_range AS (
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
),
session_steps AS (
  SELECT session_id,
         MAX(CASE WHEN event_type = 'product_view' THEN 1 ELSE 0 END) AS viewed,
         MAX(CASE WHEN event_type = 'add_to_cart' THEN 1 ELSE 0 END) AS carted,
         MAX(CASE WHEN event_type = 'checkout_start' THEN 1 ELSE 0 END) AS checked_out,
         MAX(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS purchased
  FROM events
  WHERE event_type IN ('product_view', 'add_to_cart', 'checkout_start', 'purchase')
  GROUP BY session_id
),
steps AS (
  SELECT 1 AS step, 'product_view' AS stage, COALESCE(SUM(viewed), 0) AS sessions FROM session_steps
  UNION ALL
  SELECT 2, 'add_to_cart', COALESCE(SUM(viewed * carted), 0) FROM session_steps
  UNION ALL
  SELECT 3, 'checkout_start', COALESCE(SUM(viewed * carted * checked_out), 0) FROM session_steps
  UNION ALL
  SELECT 4, 'purchase', COALESCE(SUM(viewed * carted * checked_out * purchased), 0) FROM session_steps
)
SELECT step,
       stage,
       sessions,
       1 - CAST(sessions AS DOUBLE) / NULLIF(LAG(sessions) OVER (ORDER BY step), 0) AS drop_off
FROM steps
ORDER BY step;
