// doc: Every active person customer with what referral matching and households compare: its parish and owner, and the given|family name pairs and parishes and owners of its person records.
// example: {}
MATCH (c:Customer {status: 'active', kind: 'person'})<-[:RESOLVES_TO]-(r:Record {kind: 'person'})
RETURN c.id AS id, c.name AS name, c.parish AS parish, c.owner AS owner,
       collect(DISTINCT coalesce(r.given_name, '') + '|' + coalesce(r.family_name, '')) AS names,
       collect(DISTINCT r.parish) AS parishes, collect(DISTINCT r.owner) AS owners
