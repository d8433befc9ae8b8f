// doc: Replace an AlertRule's definition if nobody changed it since it was read ($version): no row back means it is gone or changed meanwhile, and the caller reads it again. Every change adds one to version, which the alert engine watches.
// writes: true
// example: {"id": "R0000000000000", "version": 1, "name": "Big spend", "event_kind": "transaction.recorded", "field": "amount", "op": "gte", "value_json": "5000", "rep": null, "enabled": true, "actor": "admin", "at": 1700000000001}
MATCH (r:AlertRule {id: $id})
WHERE r.version = $version
SET r.name = $name, r.event_kind = $event_kind, r.field = $field, r.op = $op,
  r.value_json = $value_json, r.rep = $rep, r.enabled = $enabled,
  r.updated_at = $at, r.updated_by = $actor, r.version = r.version + 1
RETURN r {.*} AS rule
