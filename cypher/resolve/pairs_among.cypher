// doc: Every scored pair (accepted link or other verdict) between the given Records.
// example: {"keys": ["crm:EX1", "crm:org:example"]}
UNWIND $keys AS k
MATCH (a:Record {key: k})-[s:SAME_AS|MAYBE_SAME_AS]->(b:Record)
WHERE b.key IN $keys
RETURN a.key AS a, b.key AS b, s.status AS status, s.score AS score, s.weight AS weight, s.by AS by, type(s) = 'SAME_AS' AS linked
