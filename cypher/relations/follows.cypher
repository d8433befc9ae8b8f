// doc: Social follows between active customers: for each record's `follows` handle key that a Handle node holds, the follower customer, the handle and every active customer holding it (more than one: the handle is ambiguous). The WITH after the Handle look-up keeps FalkorDB on its index (without it the planner scanned every Customer per followed handle).
// example: {}
MATCH (r:Record)
WHERE r.follows IS NOT NULL
MATCH (r)-[:RESOLVES_TO]->(c:Customer {status: 'active'})
UNWIND r.follows AS handle
MATCH (h:Handle {key: handle})
WITH c.id AS follower, handle, h
MATCH (h)<-[:HAS_HANDLE]-(:Record)-[:RESOLVES_TO]->(t:Customer {status: 'active'})
WITH follower, handle, collect(DISTINCT t.id) AS followed
RETURN follower, handle, followed
