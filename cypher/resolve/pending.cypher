// doc: Records that need resolving: never resolved, or ingested again (changed) since they were.
// example: {"limit": 100}
MATCH (r:Record)
OPTIONAL MATCH (r)-[l:RESOLVES_TO]->(:Customer)
WITH r, l
WHERE l IS NULL OR l.at < r.ingested_at
RETURN r.key AS key
ORDER BY key
LIMIT $limit
