// doc: Warm-intro paths: every shortest path of at most 6 REFERRED / KNOWS / HOUSEHOLD / COLLEAGUE / CO_ATTENDED steps (candidate referrals the notes NLP proposed are not steps) from any of the customers $from to the customer $to, with the customers along it and each edge's type, ends, strength and evidence.
// example: {"from": ["C0000000000000"], "to": "C0000000000001", "max_hops": 4, "limit": 50}
MATCH (a:Customer), (b:Customer {id: $to})
WHERE a.id IN $from AND a.id <> b.id
WITH a, b
MATCH p = allShortestPaths((a)-[:REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE|CO_ATTENDED*..6]-(b))
WITH p
WHERE length(p) <= $max_hops AND none(r IN relationships(p) WHERE coalesce(r.status, '') = 'candidate')
RETURN [n IN nodes(p) | {id: n.id, name: n.name, kind: n.kind, status: n.status}] AS customers,
       [r IN relationships(p) | {type: type(r), a: startNode(r).id, b: endNode(r).id, strength: r.strength, evidence: r.evidence, source: r.source}] AS edges
LIMIT $limit
