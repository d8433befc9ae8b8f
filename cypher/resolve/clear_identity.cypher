// doc: Delete up to $limit nodes of the identity layer (Customers, Decisions, BlockKeys, MatchModels) with their edges, and the pair verdicts; run until it returns 0 to start resolution from scratch. Evidence is untouched.
// writes: true
// example: {"limit": 1000}
OPTIONAL MATCH (n)
WHERE n:Customer OR n:Decision OR n:BlockKey OR n:MatchModel
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(n) AS deleted
