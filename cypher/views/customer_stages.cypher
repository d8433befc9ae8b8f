// doc: The stage and segment of each of $ids (definitions and thresholds in api/service.py; views/customers_page, views/customers_count and search filter by the same stage expression, and by the segment as its kind and band of lifetime_value). Stage from the customer's first purchase and last purchase or interaction over its records, stored on it (first_bought, last_active: resolve/refresh_activity), and its churn risk: lead (never bought), lapsed (no activity since $active_since), at_risk (churn_risk >= $at_risk), new (first purchase since $new_since), else active. Segment: kind and the band of the value model's lifetime_value (high, mid, low, or unscored).
// example: {"ids": ["C0000000000000"], "new_since": "2025-04-01", "active_since": "2024-06-30", "at_risk": 0.5, "high_value": 20000, "mid_value": 10000}
UNWIND $ids AS id
MATCH (c:Customer {id: id})
RETURN id,
       CASE WHEN c.first_bought IS NULL THEN 'lead'
       WHEN c.last_active < $active_since THEN 'lapsed' WHEN c.churn_risk >= $at_risk THEN 'at_risk'
       WHEN c.first_bought >= $new_since THEN 'new' ELSE 'active' END AS stage,
       c.kind + '_' + CASE WHEN c.lifetime_value IS NULL THEN 'unscored'
       WHEN c.lifetime_value >= $high_value THEN 'high' WHEN c.lifetime_value >= $mid_value THEN 'mid'
       ELSE 'low' END AS segment
