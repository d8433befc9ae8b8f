// doc: Relationships between active customers (REFERRED, KNOWS, HOUSEHOLD, COLLEAGUE) with what dates each: the edge's own `since` (ISO date) where a source gave one, the creation dates of the record pairs sharing a phone, email or address across the two ends ([a's, b's]), and for a referral the creation dates of the referred customer's records that name a referrer. The notes NLP's unconfirmed candidate referrals (status 'candidate') and PREDICTED_LINK edges are never read as relationships.
// example: {}
MATCH (a:Customer {status: 'active'})-[e:REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE]->(b:Customer {status: 'active'})
WHERE a.id <> b.id AND coalesce(e.status, '') <> 'candidate'
OPTIONAL MATCH (a)<-[:RESOLVES_TO]-(ra:Record)-[:HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(i)<-[:HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(rb:Record)-[:RESOLVES_TO]->(b)
WITH a, b, e, collect(DISTINCT [ra.created, rb.created]) AS shared
OPTIONAL MATCH (b)<-[:RESOLVES_TO]-(rr:Record)
WHERE type(e) = 'REFERRED' AND rr.referred_by IS NOT NULL
RETURN type(e) AS type, a.id AS a, b.id AS b, e.since AS since, shared, collect(rr.created) AS referred
