-- facts.sql: the facts of a project written by `crmpolicy init --minimal`:
-- the clients and their contacts, with the index on (key, order) that a
-- table of rows per client needs to be read client by client. The export
-- writes these tables; rename and add to them, and declare each column in
-- crmpolicy.yaml.
CREATE TABLE clients (
  id         TEXT PRIMARY KEY,   -- the client id: a text
  name       TEXT NOT NULL,
  created_on TEXT NOT NULL       -- YYYY-MM-DD
);

CREATE TABLE contacts (
  id          TEXT PRIMARY KEY,
  client_id   TEXT NOT NULL,     -- the client's id
  happened_at TEXT NOT NULL      -- YYYY-MM-DD HH:MM:SS, the CRM's clock
);
CREATE INDEX contacts_by_client ON contacts(client_id, happened_at);
