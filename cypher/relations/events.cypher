// doc: Events (an `event` on Interaction nodes: a group meeting, a seminar, a trade show) whose interactions hang off records of two or more active customers: the event, its name, and those customers.
// example: {}
MATCH (i:Interaction)
WHERE i.event IS NOT NULL
MATCH (i)<-[:HAS_INTERACTION]-(:Record)-[:RESOLVES_TO]->(c:Customer {status: 'active'})
WITH i.event AS event, collect(DISTINCT i.event_name) AS names, collect(DISTINCT c.id) AS customers
WHERE size(customers) > 1
RETURN event, names[0] AS name, customers
