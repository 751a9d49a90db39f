-- The events dbt works from: the columns the marts read, one row per event.
select
    event_id,
    user_id,
    session_id,
    event_type,
    event_category,
    event_time,
    event_date,
    price,
    quantity
from {{ source('clickstream', 'transformed') }}
