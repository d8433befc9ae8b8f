// doc: Delete up to $limit pair verdicts (SAME_AS / MAYBE_SAME_AS edges); run until it returns 0.
// writes: true
// example: {"limit": 1000}
OPTIONAL MATCH (:Record)-[s:SAME_AS|MAYBE_SAME_AS]->(:Record)
WITH s LIMIT $limit
DELETE s
RETURN count(s) AS deleted
