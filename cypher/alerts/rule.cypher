// doc: One AlertRule by id.
// example: {"id": "R0000000000000"}
MATCH (r:AlertRule {id: $id})
RETURN r {.*} AS rule
