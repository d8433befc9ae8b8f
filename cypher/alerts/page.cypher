// doc: Alerts newest first, one page after the cursor (at, id) of the last one seen; the first page passes a cursor above every alert.
// example: {"before_at": 4611686018427387904, "before_id": "", "limit": 51}
MATCH (a:Alert)
WHERE a.at < $before_at OR (a.at = $before_at AND a.id < $before_id)
// Sorted, then only the page projected (why: alerts/page_by_status).
WITH a ORDER BY a.at DESC, a.id DESC LIMIT $limit
RETURN a {.*} AS alert
