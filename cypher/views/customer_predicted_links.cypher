// doc: The predicted links of each of $ids (PREDICTED_LINK from ml/links, either end), most probable first, at most $limit each: the other customer (with what the API's visibility rules read), the kind, probability, model, when, the structural features behind it and the customers in common.
// example: {"ids": ["C0000000000000"], "limit": 10}
UNWIND $ids AS id
MATCH (:Customer {id: id})-[e:PREDICTED_LINK]-(o:Customer)
WITH id, e, o ORDER BY e.probability DESC, o.id
WITH id, collect({other: o {.id, .name, .kind, .owner, .parish, .status}, kind: e.kind,
       probability: e.probability, model: e.model, at: e.at, via: e.via,
       features: {common_neighbours: e.common_neighbours, adamic_adar: e.adamic_adar,
                  resource_allocation: e.resource_allocation, jaccard: e.jaccard,
                  preferential_attachment: e.preferential_attachment, distance: e.distance,
                  paths3: e.paths3}}) AS items
RETURN id, items[0..$limit] AS items
