// doc: Active customers whose internal node id lies in ($after, $upto], filtered, in id order: one window of keyset pagination (api/service.py widens the window until a page is full). The id range is what the store scans, so a page costs its window, never the customers before it; status, owner and parish are read through WITH aliases so no property index is chosen over the id range. $all false limits it to $me's accounts and $parishes. Stage and segment as in views/customer_stages, from the dates stored on each Customer.
// example: {"after": -1, "upto": 1000, "first": 21, "kind": null, "parish": null, "owner": null, "stage": null, "segment_kind": null, "segment_band": null, "all": true, "me": "", "parishes": [], "new_since": "2025-04-01", "active_since": "2024-06-30", "at_risk": 0.5, "high_value": 20000, "mid_value": 10000}
MATCH (c:Customer)
WHERE id(c) > $after AND id(c) <= $upto
WITH c, c.status AS status, c.kind AS kind, c.parish AS parish, c.owner AS owner
WHERE status = 'active' AND ($kind IS NULL OR kind = $kind) AND ($parish IS NULL OR parish = $parish)
  AND ($owner IS NULL OR owner = $owner) AND ($all OR owner = $me OR parish IN $parishes)
  AND ($segment_kind IS NULL OR (kind = $segment_kind AND CASE $segment_band
       WHEN 'unscored' THEN c.lifetime_value IS NULL
       WHEN 'high' THEN c.lifetime_value >= $high_value
       WHEN 'mid' THEN c.lifetime_value >= $mid_value AND c.lifetime_value < $high_value
       ELSE c.lifetime_value < $mid_value END))
  AND ($stage IS NULL OR CASE WHEN c.first_bought IS NULL THEN 'lead'
       WHEN c.last_active < $active_since THEN 'lapsed' WHEN c.churn_risk >= $at_risk THEN 'at_risk'
       WHEN c.first_bought >= $new_since THEN 'new' ELSE 'active' END = $stage)
WITH c, id(c) AS n
ORDER BY n
LIMIT $first
RETURN n, c {.*} AS customer
