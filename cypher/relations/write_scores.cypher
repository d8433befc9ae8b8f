// doc: Set influence and community on customers (null removes them).
// writes: true
// example: {"rows": [{"id": "C0000000000000", "influence": 0.5, "community": 1}]}
UNWIND $rows AS row
MATCH (c:Customer {id: row.id})
SET c.influence = row.influence, c.community = row.community
RETURN count(c) AS written
