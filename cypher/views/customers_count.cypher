// doc: How many active customers the same filter as customers_page holds (status, kind, parish and owner from the index; stage and segment, when asked for, worked out per customer as in customers_page).
// example: {"kind": null, "parish": null, "owner": null, "stage": null, "segment": null, "all": true, "me": "", "parishes": [], "new_since": "2025-04-01", "active_since": "2024-06-30", "at_risk": 0.5, "high_value": 20000, "mid_value": 10000}
MATCH (c:Customer)
WHERE c.status = 'active'
  AND ($kind IS NULL OR c.kind = $kind)
  AND ($parish IS NULL OR c.parish = $parish)
  AND ($owner IS NULL OR c.owner = $owner)
  AND ($all OR c.owner = $me OR c.parish IN $parishes)
  AND ($segment IS NULL OR c.kind + '_' + CASE WHEN c.lifetime_value IS NULL THEN 'unscored'
       WHEN c.lifetime_value >= $high_value THEN 'high' WHEN c.lifetime_value >= $mid_value THEN 'mid'
       ELSE 'low' END = $segment)
WITH c, CASE WHEN $stage IS NULL THEN null ELSE
       [(c)<-[:RESOLVES_TO]-(:Record)-[:HAS_TRANSACTION]->(t) WHERE t.date IS NOT NULL | t.date] END AS bought,
     CASE WHEN $stage IS NULL THEN null ELSE
       [(c)<-[:RESOLVES_TO]-(:Record)-[:HAS_INTERACTION]->(i) WHERE coalesce(i.date, i.occurred_at) IS NOT NULL
        | coalesce(i.date, substring(i.occurred_at, 0, 10))] END AS met
WHERE $stage IS NULL OR CASE WHEN size(bought) = 0 THEN 'lead'
       WHEN none(d IN bought + met WHERE d >= $active_since) THEN 'lapsed'
       WHEN c.churn_risk >= $at_risk THEN 'at_risk'
       WHEN all(d IN bought WHERE d >= $new_since) THEN 'new'
       ELSE 'active' END = $stage
RETURN count(c) AS total
