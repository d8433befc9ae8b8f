// doc: Alerts about one Customer (through ABOUT), optionally of one status and rep, newest first, one page after the cursor (at, id).
// example: {"customer_id": "C0000000000000", "status": "open", "rep": null, "before_at": 4611686018427387904, "before_id": "", "limit": 51}
// Anchored on the customer's index (WITH): in one MATCH FalkorDB scans every Alert.
MATCH (c:Customer {id: $customer_id})
WITH c
MATCH (c)<-[:ABOUT]-(a:Alert)
WHERE ($status IS NULL OR a.status = $status)
  AND ($rep IS NULL OR a.rep = $rep)
  AND (a.at < $before_at OR (a.at = $before_at AND a.id < $before_id))
// Sorted, then only the page projected (why: alerts/page_by_status).
WITH a ORDER BY a.at DESC, a.id DESC LIMIT $limit
RETURN a {.*} AS alert
