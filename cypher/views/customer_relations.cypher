// doc: Customers related to each of $ids: employer / staff through WORKS_AT between their records, and direct customer-to-customer relationships (REFERRED, KNOWS, HOUSEHOLD, COLLEAGUE, CO_ATTENDED, FOLLOWS) in either direction.
// example: {"ids": ["C0000000000000"]}
UNWIND $ids AS id
MATCH (c:Customer {id: id})
OPTIONAL MATCH (c)<-[:RESOLVES_TO]-(:Record)-[:WORKS_AT]->(:Record)-[:RESOLVES_TO]->(employer:Customer)
WITH id, c, collect(DISTINCT employer {.id, .name, .kind}) AS employers
OPTIONAL MATCH (c)<-[:RESOLVES_TO]-(:Record)<-[:WORKS_AT]-(:Record)-[:RESOLVES_TO]->(staff:Customer)
WITH id, c, employers, collect(DISTINCT staff {.id, .name, .kind}) AS staff
OPTIONAL MATCH (c)-[out:REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE|CO_ATTENDED|FOLLOWS]->(o:Customer)
WITH id, c, employers, staff, collect({type: type(out), other: o {.id, .name, .kind}, strength: out.strength, evidence: out.evidence}) AS outgoing
OPTIONAL MATCH (c)<-[inc:REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE|CO_ATTENDED|FOLLOWS]-(i:Customer)
RETURN id, employers, staff, outgoing, collect({type: type(inc), other: i {.id, .name, .kind}, strength: inc.strength, evidence: inc.evidence}) AS incoming
