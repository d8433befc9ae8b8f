// doc: Every pair verdict a person gave (accepted, rejected or not sure): model runs keep them.
// example: {}
MATCH (a:Record)-[s:SAME_AS|MAYBE_SAME_AS]->(b:Record)
WHERE s.by <> 'model'
RETURN a.key AS a, b.key AS b, s.status AS status, s.score AS score, s.weight AS weight, s.by AS by, type(s) = 'SAME_AS' AS linked
