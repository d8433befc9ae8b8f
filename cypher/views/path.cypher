// doc: How two customers are connected: a shortest path of at most 8 steps through shared records, identifiers, employers and relationships (an event both attended among them; following someone is not a connection) (customers, records and identifier nodes along it).
// example: {"from": "C0000000000000", "to": "C0000000000001"}
MATCH (a:Customer {id: $from}), (b:Customer {id: $to})
WITH a, b
MATCH p = allShortestPaths((a)-[:RESOLVES_TO|WORKS_AT|HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_WEBSITE|REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE|CO_ATTENDED*..8]-(b))
RETURN [n IN nodes(p) | n {.*, labels: labels(n)}] AS nodes, [r IN relationships(p) | type(r)] AS rels
LIMIT 1
