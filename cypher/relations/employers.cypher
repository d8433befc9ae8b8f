// doc: Active business customers with two or more active person customers whose records WORK_AT one of its records.
// example: {}
MATCH (b:Customer {status: 'active', kind: 'business'})<-[:RESOLVES_TO]-(:Record)<-[:WORKS_AT]-(:Record)-[:RESOLVES_TO]->(p:Customer {status: 'active', kind: 'person'})
WITH b, collect(DISTINCT p.id) AS people
WHERE size(people) > 1
RETURN b.id AS business, b.name AS name, people
