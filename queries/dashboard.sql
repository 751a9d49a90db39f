-- The web console's dashboard (clickstream console), in the Athena dialect: every statement runs unchanged
-- on Athena and on the local engine. Each takes two bound parameters (`?`, never pasted): the first and
-- the last event date of the range, 'YYYY-MM-DD' (inclusive, UTC). The range is a filter on the partition
-- keys, so only its partitions are read. Figures about sessions read the sessions table (one row per
-- session, partitioned by its start: the sessions that start in the range); the others read the events.
-- A visitor is the tracker's anonymous_id (properties), else the user_id, as in the sessions table, so a
-- visit that calls identify() is one visitor. queries/dashboard-filtered.sql has the same statements with the
-- dashboard's filters (the console uses it when a filter is set). Run one with, for example:
--   clickstream query --file queries/dashboard.sql --name overview --param 2026-11-18 --param 2026-11-24
-- (the same with --engine athena on the deployed workgroup).

-- name: overview
-- Tiles: visitors, sessions, page views, bounce rate, visit duration, conversion, revenue, over the
-- sessions that start in the range (one row each in the sessions table)
WITH sessions_in_range AS (
  SELECT *
  FROM sessions
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
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
WITH events AS (
  SELECT *
  FROM transformed
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
)
SELECT date_trunc('hour', event_time) AS bucket,
       COUNT(*) AS events,
       COUNT(DISTINCT COALESCE(element_at(properties, 'anonymous_id'), user_id)) AS visitors
FROM events
GROUP BY 1
ORDER BY 1;

-- name: timeseries daily
-- Events and visitors per day (ranges over 2 days)
WITH events AS (
  SELECT *
  FROM transformed
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
)
SELECT event_date AS bucket,
       COUNT(*) AS events,
       COUNT(DISTINCT COALESCE(element_at(properties, 'anonymous_id'), user_id)) AS visitors
FROM events
GROUP BY 1
ORDER BY 1;

-- name: top pages
-- Top pages by events on them (the path of page_url), with their page views
WITH events AS (
  SELECT *
  FROM transformed
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
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
WITH sessions_in_range AS (
  SELECT *
  FROM sessions
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
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
WITH sessions_in_range AS (
  SELECT *
  FROM sessions
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
)
SELECT COALESCE(device_type, '(unknown)') AS device,
       COUNT(*) AS sessions
FROM sessions_in_range
GROUP BY 1
ORDER BY sessions DESC, device;

-- name: event types
-- Event types: events and their share
WITH events AS (
  SELECT *
  FROM transformed
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
)
SELECT event_type,
       COUNT(*) AS events,
       CAST(COUNT(*) AS DOUBLE) / SUM(COUNT(*)) OVER () AS share
FROM events
GROUP BY 1
ORDER BY events DESC, event_type;

-- name: product categories
-- Product categories: views, purchases and revenue
WITH events AS (
  SELECT *
  FROM transformed
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
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
WITH sessions_in_range AS (
  SELECT *
  FROM sessions
  WHERE year || '-' || month || '-' || day BETWEEN ? AND ?
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
