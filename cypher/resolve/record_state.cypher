// doc: What incremental resolution reads of the Records with these keys beyond their properties, links and blocking keys, one row per item: (key, field, value) with field customer_meta (the Customer it resolves to, with the state a merge or split keeps) or pairs (each verdict on a pair that touches it: the other record's key, status, score, weight, by whom, whether linked). Read in bulk per relationship type, like resolve/record_links (about half the time of pattern comprehensions per record).
// example: {"keys": ["crm:EX1", "crm:org:example"]}
UNWIND $keys AS k
MATCH (r:Record {key: k})-[:RESOLVES_TO]->(c:Customer)
RETURN r.key AS key, 'customer_meta' AS field, c {.id, .kind, .status, .merged_into, .created_at, .name} AS value
UNION ALL
UNWIND $keys AS k
MATCH (r:Record {key: k})-[s:SAME_AS|MAYBE_SAME_AS]-(o:Record)
RETURN r.key AS key, 'pairs' AS field, {other: o.key, status: s.status, score: s.score, weight: s.weight, by: s.by, linked: type(s) = 'SAME_AS'} AS value
