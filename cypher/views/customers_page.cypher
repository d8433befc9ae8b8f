// doc: Active customers whose internal node id lies in ($after, $upto], filtered, in id order: one window of keyset pagination (api/service.py widens the window until a page is full). The id range is what the store scans, so a page costs its window, never the customers before it; status, owner and parish are read through WITH aliases so no property index is chosen over the id range. $all false limits it to $me's accounts and $parishes.
// example: {"after": -1, "upto": 1000, "first": 21, "kind": null, "parish": null, "owner": null, "all": true, "me": "", "parishes": []}
MATCH (c:Customer)
WHERE id(c) > $after AND id(c) <= $upto
WITH c, c.status AS status, c.kind AS kind, c.parish AS parish, c.owner AS owner
WHERE status = 'active' AND ($kind IS NULL OR kind = $kind) AND ($parish IS NULL OR parish = $parish)
  AND ($owner IS NULL OR owner = $owner) AND ($all OR owner = $me OR parish IN $parishes)
WITH c, id(c) AS n
ORDER BY n
LIMIT $first
RETURN n, c {.*} AS customer
