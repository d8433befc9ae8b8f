// doc: Move an Alert to $status if its status now is one of $allowed_from, in one statement so two people acting at once cannot both pass the check. Returns the status before and whether it changed.
// writes: true
// example: {"id": "A0000000000000", "status": "acknowledged", "allowed_from": ["open"], "actor": "rep-1", "at": 1700000000000}
MATCH (a:Alert {id: $id})
WITH a, a.status AS before
WITH a, before, before IN $allowed_from AS changed
SET a.status = CASE WHEN changed THEN $status ELSE a.status END,
  a.updated_at = CASE WHEN changed THEN $at ELSE a.updated_at END,
  a.updated_by = CASE WHEN changed THEN $actor ELSE a.updated_by END
RETURN before, changed, a {.*} AS alert
