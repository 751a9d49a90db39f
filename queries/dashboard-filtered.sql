-- The web console's dashboard with its filters (clickstream console), in the Athena dialect: the statements
-- of queries/dashboard.sql over the sessions the filters keep. Each takes eight bound parameters (`?`, never
-- pasted):
--   1, 2  first and last event date of the range, 'YYYY-MM-DD' (inclusive, UTC)
--   3..6  filters: event_type, device_type, referrer (host, or the referrer itself when it has none, or
--         '(direct)'), page (the path of page_url); '' = no filter
--   7, 8  the range again (the sessions that start in it)
-- A filter keeps the sessions starting in the range whose device or source (their first event's) is the
-- one filtered on, or that have an in-range event of the event type or on the page; figures are computed
-- over the kept sessions and their in-range events. Run one with, for example:
--   clickstream query --file queries/dashboard-filtered.sql --name overview \
--     --param 2026-11-18 --param 2026-11-24 --param '' --param mobile --param '' --param '' \
--     --param 2026-11-18 --param 2026-11-24

-- name: overview
-- Tiles: visitors, sessions, page views, bounce rate, visit duration, conversion, revenue, over the
-- sessions that start in the range (one row each in the sessions table)
WITH in_range AS (
  SELECT *
  FROM transformed
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
),
filters AS (
  SELECT CAST(? AS VARCHAR) AS event_type, CAST(? AS VARCHAR) AS device_type,
         CAST(? AS VARCHAR) AS referrer, CAST(? AS VARCHAR) AS page
),
event_hits AS (
  SELECT e.session_id
  FROM in_range e CROSS JOIN filters f
  GROUP BY e.session_id, f.event_type, f.page
  HAVING (f.event_type = '' OR COUNT_IF(e.event_type = f.event_type) > 0)
     AND (f.page = '' OR COUNT_IF(CASE WHEN f.page = '' THEN false
                                       ELSE url_extract_path(e.page_url) = f.page END) > 0)
),
kept_sessions AS (
  SELECT s.*
  FROM sessions s CROSS JOIN filters f
  WHERE s.year || '-' || s.month || '-' || s.day BETWEEN ? AND ?
    AND (f.device_type = '' OR s.device_type = f.device_type)
    AND (f.referrer = '' OR COALESCE(url_extract_host(s.referrer), s.referrer, '(direct)') = f.referrer)
    AND s.session_id IN (SELECT session_id FROM event_hits)
),
sessions_in_range AS (
  SELECT * FROM kept_sessions
)
SELECT COUNT(DISTINCT visitor_id) AS visitors,
       COUNT(*) AS sessions,
       COALESCE(SUM(page_views), 0) AS pageviews,
       CAST(COUNT_IF(is_bounce) AS DOUBLE) / NULLIF(COUNT(*), 0) AS bounce_rate,
       AVG(CAST(duration_ms AS DOUBLE) / 1000) AS avg_session_duration_s,
       CAST(COUNT_IF(converted) AS DOUBLE) / NULLIF(COUNT(*), 0) AS conversion_rate,
       COALESCE(SUM(revenue), 0) AS revenue
FROM sessions_in_range;

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
event_hits AS (
  SELECT e.session_id
  FROM in_range e CROSS JOIN filters f
  GROUP BY e.session_id, f.event_type, f.page
  HAVING (f.event_type = '' OR COUNT_IF(e.event_type = f.event_type) > 0)
     AND (f.page = '' OR COUNT_IF(CASE WHEN f.page = '' THEN false
                                       ELSE url_extract_path(e.page_url) = f.page END) > 0)
),
kept_sessions AS (
  SELECT s.*
  FROM sessions s CROSS JOIN filters f
  WHERE s.year || '-' || s.month || '-' || s.day BETWEEN ? AND ?
    AND (f.device_type = '' OR s.device_type = f.device_type)
    AND (f.referrer = '' OR COALESCE(url_extract_host(s.referrer), s.referrer, '(direct)') = f.referrer)
    AND s.session_id IN (SELECT session_id FROM event_hits)
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
event_hits AS (
  SELECT e.session_id
  FROM in_range e CROSS JOIN filters f
  GROUP BY e.session_id, f.event_type, f.page
  HAVING (f.event_type = '' OR COUNT_IF(e.event_type = f.event_type) > 0)
     AND (f.page = '' OR COUNT_IF(CASE WHEN f.page = '' THEN false
                                       ELSE url_extract_path(e.page_url) = f.page END) > 0)
),
kept_sessions AS (
  SELECT s.*
  FROM sessions s CROSS JOIN filters f
  WHERE s.year || '-' || s.month || '-' || s.day BETWEEN ? AND ?
    AND (f.device_type = '' OR s.device_type = f.device_type)
    AND (f.referrer = '' OR COALESCE(url_extract_host(s.referrer), s.referrer, '(direct)') = f.referrer)
    AND s.session_id IN (SELECT session_id FROM event_hits)
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
event_hits AS (
  SELECT e.session_id
  FROM in_range e CROSS JOIN filters f
  GROUP BY e.session_id, f.event_type, f.page
  HAVING (f.event_type = '' OR COUNT_IF(e.event_type = f.event_type) > 0)
     AND (f.page = '' OR COUNT_IF(CASE WHEN f.page = '' THEN false
                                       ELSE url_extract_path(e.page_url) = f.page END) > 0)
),
kept_sessions AS (
  SELECT s.*
  FROM sessions s CROSS JOIN filters f
  WHERE s.year || '-' || s.month || '-' || s.day BETWEEN ? AND ?
    AND (f.device_type = '' OR s.device_type = f.device_type)
    AND (f.referrer = '' OR COALESCE(url_extract_host(s.referrer), s.referrer, '(direct)') = f.referrer)
    AND s.session_id IN (SELECT session_id FROM event_hits)
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
-- Sources: the referrer of each session's first event, same-site referrers excluded, in sessions
WITH in_range AS (
  SELECT *
  FROM transformed
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
),
filters AS (
  SELECT CAST(? AS VARCHAR) AS event_type, CAST(? AS VARCHAR) AS device_type,
         CAST(? AS VARCHAR) AS referrer, CAST(? AS VARCHAR) AS page
),
event_hits AS (
  SELECT e.session_id
  FROM in_range e CROSS JOIN filters f
  GROUP BY e.session_id, f.event_type, f.page
  HAVING (f.event_type = '' OR COUNT_IF(e.event_type = f.event_type) > 0)
     AND (f.page = '' OR COUNT_IF(CASE WHEN f.page = '' THEN false
                                       ELSE url_extract_path(e.page_url) = f.page END) > 0)
),
kept_sessions AS (
  SELECT s.*
  FROM sessions s CROSS JOIN filters f
  WHERE s.year || '-' || s.month || '-' || s.day BETWEEN ? AND ?
    AND (f.device_type = '' OR s.device_type = f.device_type)
    AND (f.referrer = '' OR COALESCE(url_extract_host(s.referrer), s.referrer, '(direct)') = f.referrer)
    AND s.session_id IN (SELECT session_id FROM event_hits)
),
sessions_in_range AS (
  SELECT * FROM kept_sessions
)
SELECT COALESCE(url_extract_host(referrer), referrer, '(direct)') AS source,
       COUNT(*) AS sessions
FROM sessions_in_range
WHERE referrer IS NULL
   OR COALESCE(url_extract_host(referrer), referrer) <> COALESCE(url_extract_host(entry_page), '')
GROUP BY 1
ORDER BY sessions DESC, source
LIMIT 10;

-- name: devices
-- Devices (of each session's first event), in sessions
WITH in_range AS (
  SELECT *
  FROM transformed
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
),
filters AS (
  SELECT CAST(? AS VARCHAR) AS event_type, CAST(? AS VARCHAR) AS device_type,
         CAST(? AS VARCHAR) AS referrer, CAST(? AS VARCHAR) AS page
),
event_hits AS (
  SELECT e.session_id
  FROM in_range e CROSS JOIN filters f
  GROUP BY e.session_id, f.event_type, f.page
  HAVING (f.event_type = '' OR COUNT_IF(e.event_type = f.event_type) > 0)
     AND (f.page = '' OR COUNT_IF(CASE WHEN f.page = '' THEN false
                                       ELSE url_extract_path(e.page_url) = f.page END) > 0)
),
kept_sessions AS (
  SELECT s.*
  FROM sessions s CROSS JOIN filters f
  WHERE s.year || '-' || s.month || '-' || s.day BETWEEN ? AND ?
    AND (f.device_type = '' OR s.device_type = f.device_type)
    AND (f.referrer = '' OR COALESCE(url_extract_host(s.referrer), s.referrer, '(direct)') = f.referrer)
    AND s.session_id IN (SELECT session_id FROM event_hits)
),
sessions_in_range AS (
  SELECT * FROM kept_sessions
)
SELECT COALESCE(device_type, '(unknown)') AS device,
       COUNT(*) AS sessions
FROM sessions_in_range
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
event_hits AS (
  SELECT e.session_id
  FROM in_range e CROSS JOIN filters f
  GROUP BY e.session_id, f.event_type, f.page
  HAVING (f.event_type = '' OR COUNT_IF(e.event_type = f.event_type) > 0)
     AND (f.page = '' OR COUNT_IF(CASE WHEN f.page = '' THEN false
                                       ELSE url_extract_path(e.page_url) = f.page END) > 0)
),
kept_sessions AS (
  SELECT s.*
  FROM sessions s CROSS JOIN filters f
  WHERE s.year || '-' || s.month || '-' || s.day BETWEEN ? AND ?
    AND (f.device_type = '' OR s.device_type = f.device_type)
    AND (f.referrer = '' OR COALESCE(url_extract_host(s.referrer), s.referrer, '(direct)') = f.referrer)
    AND s.session_id IN (SELECT session_id FROM event_hits)
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
event_hits AS (
  SELECT e.session_id
  FROM in_range e CROSS JOIN filters f
  GROUP BY e.session_id, f.event_type, f.page
  HAVING (f.event_type = '' OR COUNT_IF(e.event_type = f.event_type) > 0)
     AND (f.page = '' OR COUNT_IF(CASE WHEN f.page = '' THEN false
                                       ELSE url_extract_path(e.page_url) = f.page END) > 0)
),
kept_sessions AS (
  SELECT s.*
  FROM sessions s CROSS JOIN filters f
  WHERE s.year || '-' || s.month || '-' || s.day BETWEEN ? AND ?
    AND (f.device_type = '' OR s.device_type = f.device_type)
    AND (f.referrer = '' OR COALESCE(url_extract_host(s.referrer), s.referrer, '(direct)') = f.referrer)
    AND s.session_id IN (SELECT session_id FROM event_hits)
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
event_hits AS (
  SELECT e.session_id
  FROM in_range e CROSS JOIN filters f
  GROUP BY e.session_id, f.event_type, f.page
  HAVING (f.event_type = '' OR COUNT_IF(e.event_type = f.event_type) > 0)
     AND (f.page = '' OR COUNT_IF(CASE WHEN f.page = '' THEN false
                                       ELSE url_extract_path(e.page_url) = f.page END) > 0)
),
kept_sessions AS (
  SELECT s.*
  FROM sessions s CROSS JOIN filters f
  WHERE s.year || '-' || s.month || '-' || s.day BETWEEN ? AND ?
    AND (f.device_type = '' OR s.device_type = f.device_type)
    AND (f.referrer = '' OR COALESCE(url_extract_host(s.referrer), s.referrer, '(direct)') = f.referrer)
    AND s.session_id IN (SELECT session_id FROM event_hits)
),
sessions_in_range AS (
  SELECT * FROM kept_sessions
),
steps AS (
  SELECT 1 AS step, 'product_view' AS stage, COUNT_IF(product_views > 0) AS sessions FROM sessions_in_range
  UNION ALL
  SELECT 2, 'add_to_cart', COUNT_IF(product_views > 0 AND add_to_carts > 0) FROM sessions_in_range
  UNION ALL
  SELECT 3, 'checkout_start', COUNT_IF(product_views > 0 AND add_to_carts > 0 AND checkout_starts > 0)
  FROM sessions_in_range
  UNION ALL
  SELECT 4, 'purchase',
         COUNT_IF(product_views > 0 AND add_to_carts > 0 AND checkout_starts > 0 AND purchases > 0)
  FROM sessions_in_range
)
SELECT step,
       stage,
       sessions,
       1 - CAST(sessions AS DOUBLE) / NULLIF(LAG(sessions) OVER (ORDER BY step), 0) AS drop_off
FROM steps
ORDER BY step;
