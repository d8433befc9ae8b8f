// doc: Records that need resolving: never resolved, or ingested again (changed) since they were, unless a full run of their kind began after that (it read them as they are, and leaves the link of a record whose customer stays as it was); and Records deleted in the system of record that still resolve to a Customer (resolution detaches them). A deleted Record never resolved is not pending.
// example: {"limit": 100}
OPTIONAL MATCH (m:MatchModel)
WITH [x IN collect(m) | [x.kind, coalesce(x.full_run_at, 0)]] AS runs
MATCH (r:Record)
OPTIONAL MATCH (r)-[l:RESOLVES_TO]->(:Customer)
WITH r, l, coalesce(r.deleted, false) AS deleted,
  reduce(t = 0, x IN runs | CASE WHEN x[0] = r.kind THEN x[1] ELSE t END) AS full_run_at
WHERE (deleted AND l IS NOT NULL)
  OR (NOT deleted AND (l IS NULL OR (l.at < r.ingested_at AND r.ingested_at > full_run_at)))
RETURN DISTINCT r.key AS key
ORDER BY key
LIMIT $limit
