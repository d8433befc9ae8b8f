// doc: Records that need resolving: never resolved, or ingested again (changed) since they were; and Records deleted in the system of record that still resolve to a Customer (resolution detaches them). A deleted Record never resolved is not pending.
// example: {"limit": 100}
MATCH (r:Record)
OPTIONAL MATCH (r)-[l:RESOLVES_TO]->(:Customer)
WITH r, l, coalesce(r.deleted, false) AS deleted
WHERE (deleted AND l IS NOT NULL) OR (NOT deleted AND (l IS NULL OR l.at < r.ingested_at))
RETURN DISTINCT r.key AS key
ORDER BY key
LIMIT $limit
