// doc: Active customers with the creation dates (ISO) and earliest ingest time (epoch ms) of their records: when each customer first appeared, which dates the edges between customers for time-respecting splits.
// example: {}
MATCH (c:Customer {status: 'active'})
OPTIONAL MATCH (c)<-[:RESOLVES_TO]-(r:Record)
RETURN c.id AS id, collect(r.created) AS created, min(r.ingested_at) AS ingested_at
