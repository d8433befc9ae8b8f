// doc: Project the influence graph for an in-store PageRank: a transient INFLUENCE_FLOW edge from the referred customer to the referrer, and both ways along KNOWS (deleted again by relations/flow_clear); the notes NLP's candidate referrals do not flow.
// writes: true
// example: {}
MATCH (a:Customer {status: 'active'})-[e:REFERRED|KNOWS]->(b:Customer {status: 'active'})
WHERE a.id <> b.id AND coalesce(e.status, '') <> 'candidate'
CREATE (b)-[:INFLUENCE_FLOW]->(a)
FOREACH (_ IN CASE WHEN type(e) = 'KNOWS' THEN [1] ELSE [] END | CREATE (a)-[:INFLUENCE_FLOW]->(b))
RETURN count(e) AS edges
