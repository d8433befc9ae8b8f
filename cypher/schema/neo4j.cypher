// Uniqueness constraints (each backed by an index) and secondary indexes on Neo4j 5.
CREATE CONSTRAINT record_key IF NOT EXISTS FOR (n:Record) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT email_value IF NOT EXISTS FOR (n:Email) REQUIRE n.value IS UNIQUE;
CREATE CONSTRAINT phone_e164 IF NOT EXISTS FOR (n:Phone) REQUIRE n.e164 IS UNIQUE;
CREATE CONSTRAINT address_key IF NOT EXISTS FOR (n:Address) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT handle_key IF NOT EXISTS FOR (n:Handle) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT website_domain IF NOT EXISTS FOR (n:Website) REQUIRE n.domain IS UNIQUE;
CREATE CONSTRAINT interaction_key IF NOT EXISTS FOR (n:Interaction) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT transaction_key IF NOT EXISTS FOR (n:Transaction) REQUIRE n.key IS UNIQUE;
CREATE INDEX record_source IF NOT EXISTS FOR (n:Record) ON (n.source);
CREATE INDEX record_kind IF NOT EXISTS FOR (n:Record) ON (n.kind);
CREATE INDEX record_name_folded IF NOT EXISTS FOR (n:Record) ON (n.name_folded);
CREATE INDEX record_company_key IF NOT EXISTS FOR (n:Record) ON (n.company_key);
CREATE CONSTRAINT customer_id IF NOT EXISTS FOR (n:Customer) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT decision_id IF NOT EXISTS FOR (n:Decision) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT block_key IF NOT EXISTS FOR (n:BlockKey) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT match_model_kind IF NOT EXISTS FOR (n:MatchModel) REQUIRE n.kind IS UNIQUE;
CREATE INDEX customer_status IF NOT EXISTS FOR (n:Customer) ON (n.status);
