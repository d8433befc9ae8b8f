// doc: Every scored pair (linked or other verdict) that touches one of the given Records; the caller keeps those whose both ends it asked for.
// example: {"keys": ["crm:EX1", "crm:org:example"]}
UNWIND $keys AS k
MATCH (a:Record {key: k})-[s:SAME_AS|MAYBE_SAME_AS]->(b:Record)
RETURN a.key AS a, b.key AS b, s.status AS status, s.score AS score, s.weight AS weight, s.by AS by, type(s) = 'SAME_AS' AS linked
