-- examples/delivery/schema.sql: the facts of the delivery company example
-- (配送公司客户管理制度): what its CRM exports, one table per kind of fact.
-- Amounts are yuan decimals, dates YYYY-MM-DD, as the CRM stores them.
CREATE TABLE depots (
  id TEXT PRIMARY KEY,          -- 配送站
  name TEXT NOT NULL,
  manager TEXT NOT NULL         -- staff id of the depot's manager
);
CREATE TABLE staff (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL
);
CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  depot TEXT,                   -- the depot that serves it
  contact_phone TEXT,           -- personal data: sensitive in the config
  created_on TEXT NOT NULL
);
CREATE TABLE shipments (
  id INTEGER PRIMARY KEY,
  customer_id TEXT NOT NULL,
  shipped_on TEXT NOT NULL,
  parcels INTEGER NOT NULL
);
CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  customer_id TEXT NOT NULL,
  day TEXT NOT NULL,
  channel TEXT NOT NULL         -- phone, mail, sms, visit
);
CREATE TABLE complaints (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  opened_on TEXT NOT NULL,
  resolved_on TEXT
);
CREATE TABLE surveys (
  id INTEGER PRIMARY KEY,
  customer_id TEXT NOT NULL,
  answered_on TEXT NOT NULL,
  score INTEGER NOT NULL        -- 1 (poor) to 5
);
CREATE TABLE invoices (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  issued_on TEXT NOT NULL,
  due_on TEXT NOT NULL,
  paid_on TEXT,
  amount REAL NOT NULL          -- yuan
);
CREATE TABLE agreements (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  signed_on TEXT NOT NULL,
  reviewed_on TEXT,
  expires_on TEXT
);
CREATE INDEX shipments_customer ON shipments(customer_id, shipped_on);
CREATE INDEX contacts_customer ON contacts(customer_id, day);
CREATE INDEX complaints_customer ON complaints(customer_id, opened_on);
CREATE INDEX surveys_customer ON surveys(customer_id, answered_on);
CREATE INDEX invoices_customer ON invoices(customer_id, issued_on);
CREATE INDEX agreements_customer ON agreements(customer_id, signed_on);
