// doc: One page of Records that carry social text (a post caption, or a profile biography), in key order (page on with $after = the greatest key returned): the text, the hash it was last analysed under, the referral pairs written from it then, the customers the notes pipeline found it mentions, and the active customer the record resolves to.
// example: {"after": "", "limit": 10}
MATCH (r:Record)
WHERE r.key > $after AND (r.caption IS NOT NULL OR r.biography IS NOT NULL)
WITH r ORDER BY r.key LIMIT $limit
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(c:Customer {status: 'active'})
WITH r, head(collect(DISTINCT c.id)) AS customer
RETURN r.key AS key, coalesce(r.caption, r.biography) AS text, r.nlp_hash AS hash, r.nlp_referred AS written,
       [(r)-[m:MENTIONS]->(x:Customer) WHERE m.source = 'nlp' | x.id] AS mentioned, customer
