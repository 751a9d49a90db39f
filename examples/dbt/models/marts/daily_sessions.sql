-- One row per session: when it started, how many events and purchases it had, and its revenue.
-- Partitioned by session_date (dbt_project.yml): Athena wants the partition column last.
select
    session_id,
    min(user_id) as user_id,
    min(event_time) as started_at,
    count(*) as events,
    sum(case when event_type = 'purchase' then 1 else 0 end) as purchases,
    sum(case when event_type = 'purchase' then coalesce(price, 0) * coalesce(quantity, 1) else 0 end) as revenue,
    min(event_date) as session_date
from {{ ref('stg_events') }}
group by session_id
