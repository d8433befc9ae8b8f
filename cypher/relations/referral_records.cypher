// doc: Records that name who referred them (the raw referred_by text), with the active customer each resolves to.
// example: {}
MATCH (r:Record)-[:RESOLVES_TO]->(c:Customer {status: 'active'})
WHERE r.referred_by IS NOT NULL
RETURN r.key AS key, r.referred_by AS referred_by, r.parish AS parish, r.owner AS owner, c.id AS customer
