-- One row per session: when it started, how many events and purchases it had, and its revenue.
select
    session_id,
    min(user_id) as user_id,
    min(event_date) as session_date,
    min(event_time) as started_at,
    count(*) as events,
    sum(case when event_type = 'purchase' then 1 else 0 end) as purchases,
    sum(case when event_type = 'purchase' then coalesce(price, 0) * coalesce(quantity, 1) else 0 end) as revenue
from {{ ref('stg_events') }}
group by session_id
