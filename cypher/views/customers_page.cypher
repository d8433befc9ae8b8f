// doc: One page of active customers in id order after the cursor $after (keyset pagination: the id index, never a skip), filtered; $all false limits it to $owner's accounts or $parishes.
// example: {"after": "", "first": 20, "kind": null, "parish": null, "owner": null, "all": true, "me": "", "parishes": []}
MATCH (c:Customer)
WHERE c.id > $after AND c.status = 'active'
  AND ($kind IS NULL OR c.kind = $kind)
  AND ($parish IS NULL OR c.parish = $parish)
  AND ($owner IS NULL OR c.owner = $owner)
  AND ($all OR c.owner = $me OR c.parish IN $parishes)
RETURN c {.*} AS customer
ORDER BY c.id
LIMIT $first
