// doc: The open and acknowledged alerts about each of $ids, newest first.
// example: {"ids": ["C0000000000000"]}
UNWIND $ids AS id
MATCH (a:Alert)-[:ABOUT]->(:Customer {id: id})
WHERE a.status <> 'closed'
WITH id, a ORDER BY a.at DESC
RETURN id, collect(a {.*}) AS items
