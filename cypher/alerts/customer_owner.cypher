// doc: Where an alert about a Customer goes: the Customer itself, or the one it was merged into, with its owner (null when it has none, or when owners are not recorded at all).
// example: {"id": "C0000000000000"}
MATCH (given:Customer {id: $id})
OPTIONAL MATCH (survivor:Customer {id: given.merged_into})
WITH coalesce(survivor, given) AS c
RETURN c.id AS id, c.owner AS owner
