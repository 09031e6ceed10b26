SELECT clock_timestamp(), coalesce(wait_event_type, 'cpu'), coalesce(wait_event, '-'), count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT ci.id AS id%' GROUP BY 2, 3
\watch 0.2
