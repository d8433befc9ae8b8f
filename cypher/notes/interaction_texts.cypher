// doc: One page of Interactions that have notes, in key order (page on with $after = the greatest key returned): the text, the hash it was last analysed under, the referral pairs written from it then, the customers the notes pipeline found it mentions, and the active customer its record resolves to (null: not resolved yet).
// example: {"after": "", "limit": 10}
MATCH (i:Interaction)
WHERE i.key > $after AND i.notes IS NOT NULL
WITH i ORDER BY i.key LIMIT $limit
OPTIONAL MATCH (c:Customer {status: 'active'})<-[:RESOLVES_TO]-(:Record)-[:HAS_INTERACTION]->(i)
WITH i, head(collect(DISTINCT c.id)) AS customer
RETURN i.key AS key, i.notes AS text, i.nlp_hash AS hash, i.nlp_referred AS written,
       [(i)-[m:MENTIONS]->(x:Customer) WHERE m.source = 'nlp' | x.id] AS mentioned, customer
