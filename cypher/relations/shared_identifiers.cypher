// doc: Phones, emails and addresses held by records of two or more active customers: the identifier, how many active customers share it (hub detection), and the person customers among them.
// example: {}
MATCH (c:Customer {status: 'active'})<-[:RESOLVES_TO]-(:Record)-[l:HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(i)
WITH type(l) AS rel, i, collect(DISTINCT c.id) AS customers,
     collect(DISTINCT CASE WHEN c.kind = 'person' THEN c.id END) AS people
WHERE size(customers) > 1
RETURN rel, coalesce(i.e164, i.value, i.key) AS value, size(customers) AS shared_by, people
