// doc: Mark Interactions deleted in the system of record: the node stays (evidence is never destroyed) with deleted = true, when, and the delete's log position (row.lsn, may be null) as sor_deleted_lsn: the line between the row's lives; one already marked is left alone. Returns the keys marked now.
// writes: true
// example: {"rows": [{"key": "sor:interactions:EX9", "at": 1700000000000, "lsn": 42}]}
UNWIND $rows AS row
MATCH (a:Interaction {key: row.key})
WHERE a.deleted IS NULL OR a.deleted = false
SET a.deleted = true, a.deleted_at = row.at, a.sor_deleted_lsn = coalesce(row.lsn, a.sor_deleted_lsn)
RETURN a.key AS key
