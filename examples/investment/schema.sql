-- examples/investment/schema.sql: the facts of the investment company
-- example (投资公司客户管理制度): what its CRM exports. Amounts are yuan
-- decimals, dates YYYY-MM-DD; risk levels 1 (lowest) to 5.
CREATE TABLE staff (
  id TEXT PRIMARY KEY,          -- advisors (投资顾问)
  name TEXT NOT NULL
);
CREATE TABLE investors (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  advisor TEXT,                 -- staff id
  birth_on TEXT,
  phone TEXT,                   -- personal data: sensitive in the config
  created_on TEXT NOT NULL
);
CREATE TABLE assessments (      -- risk profile (风险承受能力评估)
  id INTEGER PRIMARY KEY,
  investor_id TEXT NOT NULL,
  assessed_on TEXT NOT NULL,
  risk_level INTEGER NOT NULL
);
CREATE TABLE sales (
  id INTEGER PRIMARY KEY,
  investor_id TEXT NOT NULL,
  sold_on TEXT NOT NULL,
  product TEXT NOT NULL,
  product_risk INTEGER NOT NULL,
  amount REAL NOT NULL          -- yuan
);
CREATE TABLE disclosures (      -- risk disclosure signed for a sale (风险揭示书)
  id INTEGER PRIMARY KEY,
  investor_id TEXT NOT NULL,
  sale_id INTEGER NOT NULL,
  signed_on TEXT NOT NULL
);
CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  investor_id TEXT NOT NULL,
  day TEXT NOT NULL,
  kind TEXT NOT NULL            -- revisit (回访), call, visit
);
CREATE INDEX assessments_investor ON assessments(investor_id, assessed_on);
CREATE INDEX sales_investor ON sales(investor_id, sold_on);
CREATE INDEX disclosures_investor ON disclosures(investor_id, signed_on);
CREATE INDEX contacts_investor ON contacts(investor_id, day);
