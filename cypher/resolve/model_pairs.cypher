// doc: Every pair verdict the model gave (accepted links and review pairs), so a full run can replace the ones that no longer hold.
// example: {}
MATCH (a:Record)-[s:SAME_AS|MAYBE_SAME_AS]->(b:Record)
WHERE s.by = 'model'
RETURN a.key AS a, b.key AS b, s.status AS status
