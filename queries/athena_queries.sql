-- Clickstream analytics queries for Amazon Athena (engine v3, Trino SQL).
-- Every statement runs unchanged on Athena (database clickstream_db) and on the local engine:
--   clickstream query --file queries/athena_queries.sql --name 2
-- "Today" is current_date (UTC); pin it locally with --now 2026-11-07T12:00:00Z for reproducible reports.
-- Percentages use DOUBLE arithmetic (CAST … AS DOUBLE) so Athena and DuckDB round the same way.

-- Query 1: Event type distribution for today
SELECT event_type,
       COUNT(*) AS event_count,
       COUNT(DISTINCT user_id) AS unique_users,
       ROUND(100 * CAST(COUNT(*) AS DOUBLE) / SUM(COUNT(*)) OVER (), 2) AS pct_of_events
FROM transformed
WHERE year = date_format(current_date, '%Y')
  AND month = date_format(current_date, '%m')
  AND day = date_format(current_date, '%d')
GROUP BY event_type
ORDER BY event_count DESC, event_type;

-- Query 2: Daily active users with events and sessions per user
SELECT event_date,
       COUNT(DISTINCT user_id) AS daily_active_users,
       COUNT(DISTINCT session_id) AS sessions,
       COUNT(*) AS events,
       ROUND(CAST(COUNT(*) AS DOUBLE) / COUNT(DISTINCT user_id), 2) AS events_per_user,
       ROUND(CAST(COUNT(DISTINCT session_id) AS DOUBLE) / COUNT(DISTINCT user_id), 2) AS sessions_per_user
FROM transformed
GROUP BY event_date
ORDER BY event_date;

-- Query 3: Product performance (views to cart to purchase)
SELECT product_id,
       MAX(product_name) AS product_name,
       MAX(product_category) AS product_category,
       COUNT_IF(event_type = 'product_view') AS views,
       COUNT_IF(event_type = 'add_to_cart') AS cart_adds,
       COUNT_IF(event_type = 'purchase') AS purchases,
       ROUND(100 * CAST(COUNT_IF(event_type = 'add_to_cart') AS DOUBLE)
             / NULLIF(COUNT_IF(event_type = 'product_view'), 0), 2) AS view_to_cart_pct,
       ROUND(100 * CAST(COUNT_IF(event_type = 'purchase') AS DOUBLE)
             / NULLIF(COUNT_IF(event_type = 'add_to_cart'), 0), 2) AS cart_to_purchase_pct
FROM transformed
WHERE product_id IS NOT NULL
GROUP BY product_id
ORDER BY views DESC, product_id;

-- Query 4: Hourly activity
SELECT hour,
       COUNT(*) AS events,
       COUNT(DISTINCT user_id) AS users,
       COUNT(DISTINCT session_id) AS sessions,
       COUNT_IF(event_type = 'purchase') AS purchases
FROM transformed
GROUP BY hour
ORDER BY hour;

-- Query 5: Purchase funnel by session with drop-off
WITH session_funnel AS (
  SELECT session_id,
         MAX(CASE WHEN event_type = 'product_view' THEN 1 ELSE 0 END) AS viewed,
         MAX(CASE WHEN event_type = 'add_to_cart' THEN 1 ELSE 0 END) AS carted,
         MAX(CASE WHEN event_type = 'checkout_start' THEN 1 ELSE 0 END) AS checked_out,
         MAX(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS purchased
  FROM transformed
  GROUP BY session_id
),
steps AS (
  SELECT 1 AS step, 'product_view' AS stage, SUM(viewed) AS sessions FROM session_funnel
  UNION ALL
  SELECT 2, 'add_to_cart', SUM(viewed * carted) FROM session_funnel
  UNION ALL
  SELECT 3, 'checkout_start', SUM(viewed * carted * checked_out) FROM session_funnel
  UNION ALL
  SELECT 4, 'purchase', SUM(viewed * carted * checked_out * purchased) FROM session_funnel
)
SELECT step,
       stage,
       sessions,
       ROUND(100 * CAST(sessions AS DOUBLE) / FIRST_VALUE(sessions) OVER (ORDER BY step), 2) AS pct_of_viewers,
       ROUND(100 * (1 - CAST(sessions AS DOUBLE) / LAG(sessions) OVER (ORDER BY step)), 2) AS drop_off_pct
FROM steps
ORDER BY step;

-- Query 6: Top referrers with conversion
WITH session_source AS (
  SELECT session_id,
         -- A referrer is a URL (https://www.google.com/search?q=…) or already a bare source (google.com, newsletter).
         COALESCE(MAX(CASE WHEN event_sequence = 1 THEN COALESCE(url_extract_host(referrer), referrer) END), '(direct)') AS referrer_host,
         MAX(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS converted
  FROM transformed
  GROUP BY session_id
)
SELECT referrer_host,
       COUNT(*) AS sessions,
       SUM(converted) AS converted_sessions,
       ROUND(100 * CAST(SUM(converted) AS DOUBLE) / COUNT(*), 2) AS conversion_rate_pct
FROM session_source
GROUP BY referrer_host
ORDER BY sessions DESC, referrer_host
LIMIT 10;

-- Query 7: Device type comparison
WITH session_depth AS (
  SELECT session_id,
         COALESCE(MAX(device_type), 'unknown') AS device_type,
         MAX(event_sequence) AS events_in_session,
         MAX(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS converted
  FROM transformed
  GROUP BY session_id
)
SELECT device_type,
       COUNT(*) AS sessions,
       ROUND(AVG(events_in_session), 2) AS avg_events_per_session,
       MAX(events_in_session) AS max_events_per_session,
       approx_percentile(events_in_session, 0.5) AS median_events_per_session,
       ROUND(100 * CAST(SUM(converted) AS DOUBLE) / COUNT(*), 2) AS conversion_rate_pct
FROM session_depth
GROUP BY device_type
ORDER BY sessions DESC, device_type;

-- Query 8: Daily revenue
SELECT event_date,
       COUNT(*) AS purchases,
       SUM(quantity) AS items_sold,
       ROUND(SUM(price * quantity), 2) AS revenue,
       ROUND(AVG(price * quantity), 2) AS avg_order_value
FROM transformed
WHERE event_type = 'purchase'
GROUP BY event_date
ORDER BY event_date;

-- Query 9: Session duration for converted vs not converted sessions
WITH session_times AS (
  SELECT session_id,
         date_diff('second',
                   MIN(date_parse(timestamp, '%Y-%m-%dT%H:%i:%s.%fZ')),
                   MAX(date_parse(timestamp, '%Y-%m-%dT%H:%i:%s.%fZ'))) AS duration_seconds,
         MAX(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS converted
  FROM transformed
  GROUP BY session_id
)
SELECT CASE WHEN converted = 1 THEN 'converted' ELSE 'not converted' END AS session_type,
       COUNT(*) AS sessions,
       ROUND(AVG(duration_seconds), 1) AS avg_duration_seconds,
       MAX(duration_seconds) AS max_duration_seconds
FROM session_times
GROUP BY 1
ORDER BY 1;

-- Query 10: Category performance
SELECT product_category,
       COUNT(*) AS events,
       COUNT(DISTINCT user_id) AS users,
       COUNT_IF(event_type = 'product_view') AS views,
       COUNT_IF(event_type = 'purchase') AS purchases,
       ROUND(SUM(CASE WHEN event_type = 'purchase' THEN price * quantity ELSE 0 END), 2) AS revenue
FROM transformed
WHERE product_category IS NOT NULL
GROUP BY product_category
ORDER BY revenue DESC, product_category;

-- Query 11: New vs returning users
WITH first_seen AS (
  SELECT user_id, MIN(event_date) AS first_date
  FROM transformed
  GROUP BY user_id
),
daily_users AS (
  SELECT DISTINCT event_date, user_id
  FROM transformed
)
SELECT d.event_date,
       COUNT_IF(d.event_date = f.first_date) AS new_users,
       COUNT_IF(d.event_date > f.first_date) AS returning_users,
       COUNT(*) AS active_users
FROM daily_users d
JOIN first_seen f ON d.user_id = f.user_id
GROUP BY d.event_date
ORDER BY d.event_date;

-- Query 12: Latest events
SELECT event_time,
       event_id,
       user_id,
       event_type,
       url_extract_path(page_url) AS page_path,
       device_type
FROM transformed
ORDER BY event_time DESC, event_id DESC
LIMIT 20;

-- Query 13: Data quality check
SELECT check_name, issues
FROM (
  SELECT 'total_events' AS check_name, COUNT(*) AS issues FROM transformed
  UNION ALL
  SELECT 'duplicate_event_ids', COUNT(*) - COUNT(DISTINCT event_id) FROM transformed
  UNION ALL
  SELECT 'duplicate_looking_events', COALESCE(SUM(copies - 1), 0)
  FROM (
    SELECT COUNT(*) AS copies
    FROM transformed
    GROUP BY user_id, session_id, event_type, timestamp, page_url
    HAVING COUNT(*) > 1
  ) dup
  UNION ALL
  SELECT 'product_events_missing_product_name',
         COUNT_IF(event_type IN ('product_view', 'add_to_cart', 'purchase') AND product_name IS NULL)
  FROM transformed
  UNION ALL
  SELECT 'purchases_missing_price', COUNT_IF(event_type = 'purchase' AND price IS NULL) FROM transformed
  UNION ALL
  SELECT 'events_missing_device_type', COUNT_IF(device_type IS NULL) FROM transformed
) checks
ORDER BY check_name;

-- Query 14: Top landing pages
SELECT url_extract_path(page_url) AS landing_path,
       COUNT(*) AS sessions,
       COUNT(DISTINCT user_id) AS users
FROM transformed
WHERE is_session_start
GROUP BY url_extract_path(page_url)
ORDER BY sessions DESC, landing_path
LIMIT 10;
