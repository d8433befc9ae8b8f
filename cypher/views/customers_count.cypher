// doc: How many active customers the same filter as customers_page holds, stage included (from the dates stored on each Customer, as views/customer_stages reads them): a scan of the matching customers, no node loaded into the result.
// example: {"kind": null, "parish": null, "owner": null, "stage": "lead", "segment_kind": null, "segment_band": null, "all": true, "me": "", "parishes": [], "new_since": "2025-04-01", "active_since": "2024-06-30", "at_risk": 0.5, "high_value": 20000, "mid_value": 10000}
MATCH (c:Customer)
WHERE c.status = 'active'
  AND ($kind IS NULL OR c.kind = $kind)
  AND ($parish IS NULL OR c.parish = $parish)
  AND ($owner IS NULL OR c.owner = $owner)
  AND ($all OR c.owner = $me OR c.parish IN $parishes)
  AND ($segment_kind IS NULL OR (c.kind = $segment_kind AND CASE $segment_band
       WHEN 'unscored' THEN c.lifetime_value IS NULL
       WHEN 'high' THEN c.lifetime_value >= $high_value
       WHEN 'mid' THEN c.lifetime_value >= $mid_value AND c.lifetime_value < $high_value
       ELSE c.lifetime_value < $mid_value END))
  AND ($stage IS NULL OR CASE WHEN c.first_bought IS NULL THEN 'lead'
       WHEN c.last_active < $active_since THEN 'lapsed' WHEN c.churn_risk >= $at_risk THEN 'at_risk'
       WHEN c.first_bought >= $new_since THEN 'new' ELSE 'active' END = $stage)
RETURN count(c) AS total
