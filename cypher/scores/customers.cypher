// doc: Every active customer with what the score models read from the node itself: kind, influence, community, how many records and sources it has.
// example: {}
MATCH (c:Customer {status: 'active'})
RETURN c.id AS id, c.kind AS kind, c.influence AS influence, c.community AS community,
       c.record_count AS records, size(coalesce(c.sources, [])) AS sources
