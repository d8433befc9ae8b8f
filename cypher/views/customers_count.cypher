// doc: How many active customers the same filter as customers_page holds, without a stage (counted from the index, no node loaded into the result; views/customers_count_by_stage counts a stage).
// example: {"kind": null, "parish": null, "owner": null, "segment_kind": null, "segment_band": null, "all": true, "me": "", "parishes": [], "high_value": 20000, "mid_value": 10000}
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
RETURN count(c) AS total
