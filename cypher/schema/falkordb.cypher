// Range indexes of the evidence graph on FalkorDB. Uniqueness of each key property is
// added by the adapter with GRAPH.CONSTRAINT (from graph.model.NODE_KEYS), which needs
// these indexes to exist first. The adapter skips indexes that already exist.
CREATE INDEX FOR (n:Record) ON (n.key);
CREATE INDEX FOR (n:Record) ON (n.source);
CREATE INDEX FOR (n:Record) ON (n.kind);
CREATE INDEX FOR (n:Record) ON (n.name_folded);
CREATE INDEX FOR (n:Record) ON (n.company_key);
// an array: `handle IN r.follows` finds a business's followers (resolve/followers)
CREATE INDEX FOR (n:Record) ON (n.follows);
CREATE INDEX FOR (n:Email) ON (n.value);
CREATE INDEX FOR (n:Phone) ON (n.e164);
CREATE INDEX FOR (n:Address) ON (n.key);
CREATE INDEX FOR (n:Handle) ON (n.key);
CREATE INDEX FOR (n:Website) ON (n.domain);
CREATE INDEX FOR (n:Interaction) ON (n.key);
CREATE INDEX FOR (n:Transaction) ON (n.key);
CREATE INDEX FOR (n:Customer) ON (n.id);
CREATE INDEX FOR (n:Customer) ON (n.status);
CREATE INDEX FOR (n:Decision) ON (n.id);
CREATE INDEX FOR (n:BlockKey) ON (n.key);
CREATE INDEX FOR (n:MatchModel) ON (n.kind);
CREATE INDEX FOR (n:Customer) ON (n.owner);
CREATE INDEX FOR (n:Customer) ON (n.parish);
CREATE INDEX FOR (n:Alert) ON (n.id);
CREATE INDEX FOR (n:Alert) ON (n.rep);
CREATE INDEX FOR (n:Alert) ON (n.status);
CREATE INDEX FOR (n:AlertRule) ON (n.id);
CREATE INDEX FOR (n:Webhook) ON (n.id);
// the review queue's pairs (resolve/review_queue): an index scan per type, not every edge
CREATE INDEX FOR ()-[s:SAME_AS]-() ON (s.status);
CREATE INDEX FOR ()-[s:MAYBE_SAME_AS]-() ON (s.status);
CALL db.idx.fulltext.createNodeIndex({label: 'Customer', stopwords: []}, 'search_text');
