// doc: The open and acknowledged alerts about each of $ids, newest first.
// example: {"ids": ["C0000000000000"]}
UNWIND $ids AS id
// Anchored on the customer's index: written the other way round FalkorDB scans every Alert.
MATCH (c:Customer {id: id})
WITH id, c
MATCH (c)<-[:ABOUT]-(a:Alert)
WHERE a.status <> 'closed'
WITH id, a ORDER BY a.at DESC
RETURN id, collect(a {.*}) AS items
