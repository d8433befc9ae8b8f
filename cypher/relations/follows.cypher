// doc: Social follows between active customers: for each record's `follows` handle key that a Handle node holds, the follower customer, the handle and every active customer holding it (more than one: the handle is ambiguous).
// example: {}
MATCH (r:Record)
WHERE r.follows IS NOT NULL
MATCH (r)-[:RESOLVES_TO]->(c:Customer {status: 'active'})
UNWIND r.follows AS handle
MATCH (:Handle {key: handle})<-[:HAS_HANDLE]-(:Record)-[:RESOLVES_TO]->(t:Customer {status: 'active'})
WITH c.id AS follower, handle, collect(DISTINCT t.id) AS followed
RETURN follower, handle, followed
