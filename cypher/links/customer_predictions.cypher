// doc: The predicted links of one customer (either end), most probable first, with the features and the customers in common behind each.
// example: {"id": "C0000000000000", "limit": 10}
MATCH (c:Customer {id: $id})-[e:PREDICTED_LINK]-(o:Customer)
RETURN o.id AS other, o.name AS name, e.kind AS kind, e.probability AS probability, e.model AS model,
       e.common_neighbours AS common_neighbours, e.adamic_adar AS adamic_adar,
       e.resource_allocation AS resource_allocation, e.jaccard AS jaccard,
       e.preferential_attachment AS preferential_attachment, e.distance AS distance,
       e.paths3 AS paths3, e.via AS via, e.at AS at
ORDER BY probability DESC, other
LIMIT $limit
