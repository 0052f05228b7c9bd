-- Example queries on the gold tables: the questions a sales team asks of Rapport.
--
-- Run one with `make sql ARGS="-e '...'"`, or open `make sql` and paste it; any SQL client on the
-- JDBC server reads the same tables. Each query takes the latest day the daily job wrote, so it
-- answers for "today" whenever it runs; replace the subquery with DATE '2026-03-31' for another
-- day. Ids (`acc-000001`, `con-0000001`) are examples from the sample data.
-- A test runs every query below on generated data and checks its answer
-- (tests/integration/test_queries.py); each starts with a `-- name:` line.

-- name: opportunities_needing_attention
-- Open opportunities whose health is falling and that have heard nothing for 14 days or more,
-- the biggest first: the deals to call about this morning.
SELECT d.opportunity_id,
       d.name,
       d.owner_id,
       d.stage,
       d.estimated_revenue,
       d.estimated_close_date,
       k.health_score,
       k.health_state,
       k.days_since_last_activity
FROM gold.deal_tracker AS d
JOIN gold.relationship_kpis AS k
  ON k.as_of_date = d.as_of_date AND k.record_type = 'opportunity' AND k.record_id = d.opportunity_id
WHERE d.as_of_date = (SELECT max(as_of_date) FROM gold.deal_tracker)
  AND k.health_trend = 'declining'
  AND coalesce(k.days_since_last_activity, 14) >= 14   -- null: no activity ever
ORDER BY d.estimated_revenue DESC NULLS LAST, d.opportunity_id;

-- name: last_contact_with_a_customer
-- When did we last hear from or reach out to this account, how, and in which direction?
SELECT record_id,
       last_interaction_at,
       last_interaction_type,
       last_interaction_direction,
       datediff(as_of_date, to_date(last_interaction_at)) AS days_ago,
       next_interaction_at
FROM gold.relationship_kpis
WHERE as_of_date = (SELECT max(as_of_date) FROM gold.relationship_kpis)
  AND record_type = 'account'
  AND record_id = 'acc-000001';

-- name: team_response_time
-- How long does our team take to answer a customer's email? Per account, the average hours from
-- a customer's request to our reply, then over all accounts weighted by the replies behind each.
SELECT count(*)                                                                   AS accounts,
       sum(replies_by_team)                                                       AS replies,
       round(sum(avg_response_hours_by_us * replies_by_team) / sum(replies_by_team), 2)
                                                                                  AS avg_response_hours,
       round(percentile_approx(avg_response_hours_by_us, 0.5), 2)                AS median_account_hours
FROM gold.relationship_kpis
WHERE as_of_date = (SELECT max(as_of_date) FROM gold.relationship_kpis)
  AND record_type = 'account'
  AND avg_response_hours_by_us IS NOT NULL;

-- name: who_knows_this_contact_best
-- Who on the team knows this contact best, and how well: the introduction to ask for.
SELECT rank, user_id, strength, round(score, 2) AS score, last_interaction_at, last_interaction_type
FROM gold.who_knows_whom
WHERE as_of_date = (SELECT max(as_of_date) FROM gold.who_knows_whom)
  AND record_type = 'contact'
  AND record_id = 'con-0000001'
ORDER BY rank;
