// doc: The identity decisions about each of $ids, newest first (merge, split, link, verdicts, undo).
// example: {"ids": ["C0000000000000"], "limit": 50}
UNWIND $ids AS id
MATCH (d:Decision)-[:ABOUT]->(:Customer {id: id})
WITH id, d ORDER BY d.at DESC, d.id DESC
WITH id, collect(d {.id, .action, .actor, .at, .reason, .undone_by, .customers, .records}) AS items
RETURN id, items[0..$limit] AS items
