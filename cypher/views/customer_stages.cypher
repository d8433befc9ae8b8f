// doc: The stage and segment of each of $ids (definitions and thresholds in api/service.py; the same expressions filter views/customers_page, views/customers_count and search). Stage from the customer's purchases and interactions through its records and its churn risk: lead (never bought), lapsed (no activity since $active_since), at_risk (churn_risk >= $at_risk), new (every purchase since $new_since), else active. Segment: kind and the band of the value model's lifetime_value (high, mid, low, or unscored).
// example: {"ids": ["C0000000000000"], "new_since": "2025-04-01", "active_since": "2024-06-30", "at_risk": 0.5, "high_value": 20000, "mid_value": 10000}
UNWIND $ids AS id
MATCH (c:Customer {id: id})
WITH id, c,
     [(c)<-[:RESOLVES_TO]-(:Record)-[:HAS_TRANSACTION]->(t) WHERE t.date IS NOT NULL | t.date] AS bought,
     [(c)<-[:RESOLVES_TO]-(:Record)-[:HAS_INTERACTION]->(i) WHERE coalesce(i.date, i.occurred_at) IS NOT NULL
      | coalesce(i.date, substring(i.occurred_at, 0, 10))] AS met
RETURN id,
       CASE WHEN size(bought) = 0 THEN 'lead'
       WHEN none(d IN bought + met WHERE d >= $active_since) THEN 'lapsed'
       WHEN c.churn_risk >= $at_risk THEN 'at_risk'
       WHEN all(d IN bought WHERE d >= $new_since) THEN 'new'
       ELSE 'active' END AS stage,
       c.kind + '_' + CASE WHEN c.lifetime_value IS NULL THEN 'unscored'
       WHEN c.lifetime_value >= $high_value THEN 'high' WHEN c.lifetime_value >= $mid_value THEN 'mid'
       ELSE 'low' END AS segment
