// doc: The source records behind each of $ids with their lineage (source, source id, ingested_at, the link's confidence and rule) and identifiers.
// example: {"ids": ["C0000000000000"]}
UNWIND $ids AS id
MATCH (r:Record)-[l:RESOLVES_TO]->(:Customer {id: id})
RETURN id, r {.*} AS record, l.confidence AS confidence, l.rule AS rule,
       [(r)-[:HAS_EMAIL]->(e) | e.value] AS emails,
       [(r)-[:HAS_PHONE]->(p) | p.e164] AS phones,
       [(r)-[:LOCATED_AT]->(a) | a {.*}] AS addresses,
       [(r)-[:HAS_HANDLE]->(h) | h.key] AS handles,
       [(r)-[:HAS_WEBSITE]->(w) | w.domain] AS websites
ORDER BY id, r.key
