// doc: One rep's Alerts (rep indexed), optionally of one status, newest first, one page after the cursor (at, id).
// example: {"rep": "rep-1", "status": null, "before_at": 4611686018427387904, "before_id": "", "limit": 51}
MATCH (a:Alert {rep: $rep})
WHERE ($status IS NULL OR a.status = $status)
  AND (a.at < $before_at OR (a.at = $before_at AND a.id < $before_id))
// Sorted, then only the page projected (why: alerts/page_by_status).
WITH a ORDER BY a.at DESC, a.id DESC LIMIT $limit
RETURN a {.*} AS alert
