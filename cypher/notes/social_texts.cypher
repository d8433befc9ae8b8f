// doc: One page of Records that carry text of their own (a social post caption or profile biography, the notes field of a QuickBooks customer or a lead list row), in key order (page on with $after = the greatest key returned): the texts joined by line breaks, the hash it was last analysed under, the referral pairs written from it then, the customers the notes pipeline found it mentions, and the active customer the record resolves to.
// example: {"after": "", "limit": 10}
MATCH (r:Record)
WHERE r.key > $after AND (r.caption IS NOT NULL OR r.biography IS NOT NULL OR r.notes IS NOT NULL)
WITH r ORDER BY r.key LIMIT $limit
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(c:Customer {status: 'active'})
WITH r, head(collect(DISTINCT c.id)) AS customer
RETURN r.key AS key,
       reduce(s = '', t IN [x IN [r.caption, r.biography, r.notes] WHERE x IS NOT NULL] |
              CASE WHEN s = '' THEN t ELSE s + '\n' + t END) AS text,
       r.nlp_hash AS hash, r.nlp_referred AS written,
       [(r)-[m:MENTIONS]->(x:Customer) WHERE m.source = 'nlp' | x.id] AS mentioned, customer
