// doc: Mark Records deleted in the system of record: the node and its identifier edges stay (evidence is never destroyed) with deleted = true, when, and the delete's log position (row.lsn, may be null) as sor_deleted_lsn: the line between the row's lives; one already marked is left alone. Returns the keys marked now.
// writes: true
// example: {"rows": [{"key": "crm:EX1", "at": 1700000000000, "lsn": 42}]}
UNWIND $rows AS row
MATCH (r:Record {key: row.key})
WHERE r.deleted IS NULL OR r.deleted = false
SET r.deleted = true, r.deleted_at = row.at, r.sor_deleted_lsn = coalesce(row.lsn, r.sor_deleted_lsn)
RETURN r.key AS key
