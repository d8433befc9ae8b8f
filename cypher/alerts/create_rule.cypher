// doc: Create an AlertRule from its whole property map (validated by workers.alerts; value_json holds the condition's value as JSON, version starts at 1).
// writes: true
// example: {"props": {"id": "R0000000000000", "name": "Big spend", "event_kind": "transaction.recorded", "field": "amount", "op": "gt", "value_json": "10000", "rep": "rep-1", "enabled": true, "created_at": 1700000000000, "created_by": "admin", "updated_at": 1700000000000, "updated_by": "admin", "version": 1}}
CREATE (r:AlertRule)
SET r = $props
RETURN r {.*} AS rule
