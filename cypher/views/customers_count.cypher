// doc: How many active customers the same filter as customers_page holds (counted from the index, no node loaded into the result).
// example: {"kind": null, "parish": null, "owner": null, "all": true, "me": "", "parishes": []}
MATCH (c:Customer)
WHERE c.status = 'active'
  AND ($kind IS NULL OR c.kind = $kind)
  AND ($parish IS NULL OR c.parish = $parish)
  AND ($owner IS NULL OR c.owner = $owner)
  AND ($all OR c.owner = $me OR c.parish IN $parishes)
RETURN count(c) AS total
