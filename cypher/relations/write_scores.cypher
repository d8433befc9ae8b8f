// doc: Set influence, community and betweenness on customers (null removes them).
// writes: true
// example: {"rows": [{"id": "C0000000000000", "influence": 0.5, "community": 1, "betweenness": 0.25}]}
UNWIND $rows AS row
MATCH (c:Customer {id: row.id})
SET c.influence = row.influence, c.community = row.community, c.betweenness = row.betweenness
RETURN count(c) AS written
