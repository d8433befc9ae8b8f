// doc: The person Records that follow a social handle of the business Records with these keys. A business's handle is evidence on its followers (they follow the business the other record works at: the follows_employer comparison), so incremental resolution scores them again when the business arrives or changes, as a full run would. Uses the range index on the `follows` array (FalkorDB); Neo4j scans Records here.
// example: {"keys": ["instagram:jerkcentre"]}
UNWIND $keys AS k
MATCH (b:Record {key: k})-[:HAS_HANDLE]->(h:Handle)
WHERE b.kind = 'business'
WITH DISTINCT h.key AS handle
MATCH (r:Record)
WHERE handle IN r.follows AND r.kind = 'person' AND NOT coalesce(r.deleted, false)
RETURN DISTINCT r.key AS key
ORDER BY key
