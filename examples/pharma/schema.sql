-- schema.sql: the facts of a pharmaceutical distributor (医药流通企业), as its
-- CRM exports them. Money is in 元 (yuan, decimals); dates are YYYY-MM-DD,
-- timestamps YYYY-MM-DD HH:MM:SS on the CRM's clock. Client ids are text.

-- 客户：医院（三甲 / 二甲 / 社区）与连锁药店
CREATE TABLE accounts (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  kind         TEXT NOT NULL,          -- hospital | pharmacy
  grade        TEXT,                   -- 三甲 | 二甲 | 社区 (hospitals); NULL for pharmacies
  chain        TEXT,                   -- 连锁药店: the chain's name
  region       TEXT NOT NULL,          -- 华东 | 华北 | 华南 | 西南
  status       TEXT NOT NULL,          -- active | closed
  rep_id       TEXT,                   -- the sales rep the CRM has assigned (NULL: none)
  credit_limit REAL,                   -- 信用额度, 元
  created_on   TEXT NOT NULL
);

-- 员工：销售代表 (rep) 与大区经理 (manager)
CREATE TABLE staff (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL,            -- rep | manager
  region     TEXT NOT NULL,
  manager_id TEXT,
  active     INTEGER NOT NULL DEFAULT 1,
  capacity   INTEGER                   -- 三甲 hospitals a rep may hold (NULL: no limit)
);

-- GSP 证书 / 许可证, one row per license
CREATE TABLE licenses (
  id         TEXT PRIMARY KEY,
  client_id  TEXT NOT NULL,
  kind       TEXT NOT NULL,            -- GSP | 医疗机构执业许可证 | 药品经营许可证
  license_no TEXT,
  expires_on TEXT NOT NULL
);
CREATE INDEX licenses_client ON licenses (client_id, expires_on);

-- 采购订单（月度）
CREATE TABLE orders (
  id         TEXT PRIMARY KEY,
  client_id  TEXT NOT NULL,
  ordered_on TEXT NOT NULL,
  amount     REAL NOT NULL             -- 元
);
CREATE INDEX orders_client ON orders (client_id, ordered_on);

-- 应收账款：发票与回款
CREATE TABLE invoices (
  id          TEXT PRIMARY KEY,
  client_id   TEXT NOT NULL,
  invoiced_on TEXT NOT NULL,
  due_on      TEXT NOT NULL,
  amount      REAL NOT NULL            -- 元
);
CREATE INDEX invoices_client ON invoices (client_id, due_on);

CREATE TABLE payments (
  id         TEXT PRIMARY KEY,
  client_id  TEXT NOT NULL,
  invoice_id TEXT NOT NULL,
  paid_on    TEXT NOT NULL,
  amount     REAL NOT NULL             -- 元
);
CREATE INDEX payments_client ON payments (client_id, paid_on);

-- 批次召回：one row per recall, and the accounts that received its batches
CREATE TABLE recalls (
  id           TEXT PRIMARY KEY,
  drug         TEXT NOT NULL,
  batch_no     TEXT NOT NULL,
  level        TEXT NOT NULL,          -- 一级 | 二级 | 三级 (召回级别)
  announced_at TEXT NOT NULL           -- timestamp
);

CREATE TABLE recall_receipts (
  id         TEXT PRIMARY KEY,
  client_id  TEXT NOT NULL,
  recall_id  TEXT NOT NULL,
  shipped_on TEXT NOT NULL
);
CREATE INDEX recall_receipts_client ON recall_receipts (client_id, shipped_on);

-- 拜访与联系记录
CREATE TABLE visits (
  id          TEXT PRIMARY KEY,
  client_id   TEXT NOT NULL,
  staff_id    TEXT,
  kind        TEXT NOT NULL,           -- visit | phone | recall (a recall notice given)
  recall_id   TEXT,                    -- for kind = recall
  happened_at TEXT NOT NULL            -- timestamp
);
CREATE INDEX visits_client ON visits (client_id, happened_at);
