// doc: Every active customer with its kind and the names it goes by (its golden name, its records' names, and given + family name of its person records): the gazetteer the notes pipeline finds and resolves names with.
// example: {}
MATCH (c:Customer {status: 'active'})
OPTIONAL MATCH (c)<-[:RESOLVES_TO]-(r:Record)
WITH c, collect(DISTINCT r.name) AS names,
     collect(DISTINCT CASE WHEN r.given_name IS NOT NULL AND r.family_name IS NOT NULL THEN r.given_name + ' ' + r.family_name END) AS pairs
RETURN c.id AS id, c.kind AS kind, [n IN [c.name] + names + pairs WHERE n IS NOT NULL] AS names
