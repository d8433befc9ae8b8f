// doc: Record counts per source and kind.
// example: {}
MATCH (r:Record)
RETURN r.source AS source, r.kind AS kind, count(r) AS records
ORDER BY source, kind
