// doc: Ids of customers that hold an influence, community or betweenness score (to clear those that no longer have edges).
// example: {}
MATCH (c:Customer)
WHERE c.influence IS NOT NULL OR c.community IS NOT NULL OR c.betweenness IS NOT NULL
RETURN c.id AS id
