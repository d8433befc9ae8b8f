// doc: Mark Records deleted in the system of record: the node and its identifier edges stay (evidence is never destroyed) with deleted = true and when; one already marked is left alone. Returns the keys marked now.
// writes: true
// example: {"rows": [{"key": "crm:EX1", "at": 1700000000000}]}
UNWIND $rows AS row
MATCH (r:Record {key: row.key})
WHERE r.deleted IS NULL OR r.deleted = false
SET r.deleted = true, r.deleted_at = row.at
RETURN r.key AS key
