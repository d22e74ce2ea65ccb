---@meta crmpolicy
-- editor/crmpolicy.lua: the rule API of crmpolicy for editors that read
-- LuaLS annotations (lua-language-server): completion, hover and checks in
-- rules/*.lua. It is never loaded by the engine; the API itself is in
-- engine/lua/ (rules.c, client.c, rowset.c, emit.c, dtlib.c) and in the
-- README ("Writing a rule"). rules/.luarc.json points here.

-- ---------------------------------------------------------------------------
-- What a rule sees

---A value of a fact: text, integer (dates are day numbers, timestamps
---seconds, money cents), number, boolean, or nil.
---@alias crmpolicy.Value string|integer|number|boolean|nil

---A condition on rows: a function of the row, or a table of field = value
---(equality), null (is nil), {a, b} (one of), or operators {gt=, ge=, lt=,
---le=, eq=, ne=, ["in"]=, not_in=, is_nil=, not_nil=}, checked in C.
---@alias crmpolicy.Pred fun(row: crmpolicy.Row): boolean|table<string, crmpolicy.Value|lightuserdata|crmpolicy.Value[]|{gt?: number, ge?: number, lt?: number, le?: number, eq?: any, ne?: any, ["in"]?: crmpolicy.Value[], not_in?: crmpolicy.Value[], is_nil?: boolean, not_nil?: boolean}>

---One row of a table: its declared columns by name (`r["until"]` for Lua
---keywords). Reading a column that is not declared is an error. Read-only.
---@class crmpolicy.Row
---@field [string] crmpolicy.Value

---Rows: a client's rows of one table (`c.orders`), a lookup table
---(`lookup.staff`), or what `filter` returns. `#rows`, `rows[i]`,
---`ipairs(rows)` work too.
---@class crmpolicy.Rows
---@operator len: integer
---@field [integer] crmpolicy.Row
local Rows = {}

---The number of rows, or of those that match pred.
---@param pred? crmpolicy.Pred
---@return integer
function Rows:count(pred) end

---The sum of field over the rows (that match pred); nil values count as nothing.
---@param field string
---@param pred? crmpolicy.Pred
---@return number
function Rows:sum(field, pred) end

---The largest value of field (ignoring nil) and its row, or nil.
---@param field string
---@param pred? crmpolicy.Pred
---@return crmpolicy.Value value
---@return crmpolicy.Row? row
function Rows:max(field, pred) end

---The smallest value of field (ignoring nil) and its row, or nil.
---@param field string
---@param pred? crmpolicy.Pred
---@return crmpolicy.Value value
---@return crmpolicy.Row? row
function Rows:min(field, pred) end

---The first row (that matches pred), or nil.
---@param pred? crmpolicy.Pred
---@return crmpolicy.Row?
function Rows:first(pred) end

---Whether some row matches pred.
---@param pred? crmpolicy.Pred
---@return boolean
function Rows:any(pred) end

---The rows that match pred, as a list with these same methods.
---@param pred crmpolicy.Pred
---@return crmpolicy.Rows
function Rows:filter(pred) end

---An iterator over the rows: `for r in rows:each() do ... end`.
---@return fun(): crmpolicy.Row?
function Rows:each() end

---Lookup tables only: the row whose id is id, or nil.
---@param id string
---@return crmpolicy.Row?
function Rows:get(id) end

---A read-only map from each value of field to the list of rows with it
---(nil values left out): for a client's rows built once per client; for a
---list or a lookup table made anew at each call (a global{} makes a
---lookup's once a run).
---@param field string
---@return table<any, crmpolicy.Rows>
function Rows:by(field) end

---One client, read-only: `c.id`, the declared columns of the clients table
---(`c.status`), a per-client table's rows (`c.orders`, a crmpolicy.Rows) and
---the derived values (`c.tier`), computed once when first read. A name that
---is none of these is an error, not nil.
---@class crmpolicy.Client
---@field id string
---@field [string] any

-- ---------------------------------------------------------------------------
-- Declarations (at the top level of a rule file only)

---@class crmpolicy.RuleDef
---@field id string            the rule id: what alerts and assignments are reported under
---@field doc string           what it checks, for people (shown by check and explain)
---@field fn fun(c: crmpolicy.Client) runs for every client in scope
---@field emits? string[]      other rule ids it reports under (alert{rule=...})
---@field needs? string        a per-client table: the rule runs only for clients with rows in it

---A check: runs for every client in scope, in the order declared; reports
---with alert{}, assign{} and fulfilled{}.
---@param def crmpolicy.RuleDef
function rule(def) end

---@class crmpolicy.DeriveDef
---@field id string            read as c.<id>
---@field doc string
---@field fn fun(c: crmpolicy.Client): any
---@field type? "date"|"timestamp"  how explain shows the value

---A derived value about a client, c.<id>: computed once per client when
---first read (so derivations run in dependency order); a cycle is an error.
---@param def crmpolicy.DeriveDef
function derive(def) end

---@class crmpolicy.GlobalDef
---@field id string            read as run.<id>
---@field doc string
---@field fn fun(): any

---A run-wide value, run.<id>, computed once before the clients.
---@param def crmpolicy.GlobalDef
function global(def) end

---@class crmpolicy.AggregateDef
---@field id string            read as run.<id>
---@field doc string
---@field table string         a per-client table of the config, or the clients table
---@field sum? string          sum this field (in C)
---@field count? boolean       count the rows (in C)
---@field where? table         conditions on the rows (as a table pred)
---@field group? string|string[]  totals by this field's value: run.<id>[value]; a list of up to 4 fields nests them
---@field init any             the starting value
---@field step fun(acc: any, row: crmpolicy.Row): any  the row table is reused: do not keep it

---A run-wide value folded over every row of a per-client table (of all
---clients) before the clients: run.<id>.
---@param def crmpolicy.AggregateDef
function aggregate(def) end

---@class crmpolicy.ScopeDef
---@field doc string
---@field fn fun(c: crmpolicy.Client): boolean

---Which clients are evaluated; alerts of a client out of scope resolve.
---@param def crmpolicy.ScopeDef
function scope(def) end

---@class crmpolicy.Member
---@field id string            a staff id
---@field group string         the group it is picked for (a role)
---@field capacity? integer    most it may hold; nil: no limit
---@field load? integer        what it holds before the run

---@class crmpolicy.PoolDef
---@field id string
---@field doc string
---@field members fun(add: fun(m: crmpolicy.Member)): crmpolicy.Member[]?  computed once, after the globals: add(m) each member (or return a list)

---People that assign{pick=...} chooses from: by the smallest load below
---capacity, then the smallest id, in client order.
---@param def crmpolicy.PoolDef
function pool(def) end

---@class crmpolicy.ReportColumn
---@field id string                 key in the row table
---@field label string              header text
---@field type "text"|"integer"|"money"|"percent"|"date"|"ratio-change"
---@field group? string             header over consecutive columns with the same group
---@field total? "sum"|"min"|"max"|"count"|false  what subtotal and total rows show (default: sum of money and integer, nothing else)

---@class crmpolicy.ReportDef
---@field id string
---@field title string
---@field doc string
---@field scope? fun(c: table): boolean     the clients with a row
---@field columns crmpolicy.ReportColumn[]
---@field row fun(c: table, month: table, alerts: table): table  the row's cells by column id (and series)
---@field series? {title: string, type: "money"|"integer", groups?: string[]}
---@field group_by? string          a column id: rows group by its value, a subtotal row after each group
---@field totals? boolean           a total row at the end of the table
---@field detail? boolean           false: the subtotal and total rows only, not the clients' rows

---A report (the `report` command); see the README and rules/report.lua.
---@param def crmpolicy.ReportDef
function report(def) end

-- ---------------------------------------------------------------------------
-- Reporting (inside a rule's fn)

---@alias crmpolicy.Severity "info"|"warning"|"critical"

---@class crmpolicy.Alert
---@field severity crmpolicy.Severity
---@field level integer        escalation step, from 1
---@field key? string          tells apart several alerts of one rule for one client ("")
---@field assignee? string     a staff id
---@field title? string        one line; keep it stable from day to day
---@field data? table          named fields, a JSON object (not a list), with sorted keys; use null for a JSON null
---@field rule? string         one of the rule's emits

---An alert that holds now, identified by (rule, client, key).
---@param a crmpolicy.Alert
function alert(a) end

---@class crmpolicy.Pick
---@field pool string          a pool{} id
---@field group string         the group of members to pick from
---@field fallback? string[]   more groups, tried in order when group has nobody below capacity
---@field keep? "always"|"while_member"  an assignee kept from an earlier run stays always (default), or while a member of its group

---@class crmpolicy.Assignment
---@field kind string          what is asked: assign_staff, tier_approval, ...
---@field key? string
---@field assignee? string     the staff member proposed (or give pick)
---@field pick? crmpolicy.Pick
---@field unfilled? crmpolicy.Alert  the alert that stands when nobody can be picked
---@field data? table
---@field rule? string

---An assignment that is needed now (proposed).
---@param a crmpolicy.Assignment
function assign(a) end

---The facts show the assignment (rule, key) done.
---@param f {key?: string, rule?: string}
function fulfilled(f) end

---A reason, for `crmpolicy explain`: string.format(fmt, ...) is shown under
---the rule (or derived value) being evaluated. Does nothing, not even the
---formatting, outside explain.
---@param fmt string
---@param ... any
function why(fmt, ...) end

---A JSON null inside data (a Lua nil would drop the key).
---@type lightuserdata
null = nil

---An empty JSON array [] inside data (an empty table {} is an object).
---@type lightuserdata
empty_array = nil

-- ---------------------------------------------------------------------------
-- Values

---The config's params, read-only; the engine knows none of the names.
---@type table<string, any>
params = {}

---The config's labels, read-only: labels.<section>[id] is the text people
---read for an id (labels.tiers.strategic), nil when the config gives none.
---@type table<string, table<string, string>>
labels = {}

---Run-wide values of global{} and aggregate{}, by id; reading one not yet
---computed is an error.
---@type table<string, any>
run = {}

---The config's lookup tables, read whole: lookup.<name>.
---@type table<string, crmpolicy.Rows>
lookup = {}

---Dates and times from the run's as-of date D, never the wall clock. Dates
---are day numbers, times seconds.
---@class crmpolicy.dt
---@field today integer        D
---@field now integer          D at 23:59:59
---@field DAY integer          seconds in a day
---@field HOUR integer         seconds in an hour
dt = {}

---Whole days from day to D.
---@param day integer
---@return integer
function dt.age_days(day) end

---Hours from t to now, fractional.
---@param t integer
---@return number
function dt.hours_since(t) end

---D - n < day <= D; false for nil.
---@param day integer?
---@param n integer
---@return boolean
function dt.in_last_days(day, n) end

---The date of a timestamp.
---@param t integer
---@return integer
function dt.day(t) end

---The timestamp of 00:00:00 of a day.
---@param day integer
---@return integer
function dt.start(day) end

---"YYYY-MM-DD"; nil stays nil.
---@param day integer?
---@return string?
function dt.format(day) end

---"YYYY-MM-DDTHH:MM:SS"; nil stays nil.
---@param t integer?
---@return string?
function dt.format_time(t) end

---"YYYY-MM" of a day.
---@param day integer
---@return string
function dt.month(day) end

---The day of "YYYY-MM-DD", or nil.
---@param text string
---@return integer?
function dt.date(text) end

---The time of "YYYY-MM-DDTHH:MM:SS", or nil.
---@param text string
---@return integer?
function dt.time(text) end

---Year, month (1-12) and day of the month of a day.
---@param day integer
---@return integer year
---@return integer month
---@return integer mday
function dt.ymd(day) end

---The day of year-month-day; an error for a date that does not exist.
---@param y integer
---@param m integer
---@param d integer
---@return integer
function dt.make(y, m, d) end

---n months later (earlier for n < 0), clamped to the month's end:
---31 Jan + 1 = 28 (29) Feb.
---@param day integer
---@param n integer
---@return integer
function dt.add_months(day, n) end

---n years later; 29 Feb + 1 year = 28 Feb.
---@param day integer
---@param n integer
---@return integer
function dt.add_years(day, n) end

---ISO weekday: 1 Monday ... 7 Sunday.
---@param day integer
---@return integer
function dt.weekday(day) end

---Whole years from birth to on (default D); a 29 Feb birthday counts on
---28 Feb in common years.
---@param birth integer
---@param on? integer
---@return integer
function dt.age_years(birth, on) end

---The first anniversary of day on or after from (default D); 29 Feb falls
---on 28 Feb in common years.
---@param day integer
---@param from? integer
---@return integer
function dt.next_anniversary(day, from) end

---The next "MM-DD" on or after from (default D).
---@param mmdd string
---@param from? integer
---@return integer
function dt.recurring(mmdd, from) end

---The earliest of dates ("MM-DD" recurring, "YYYY-MM-DD", day numbers: one
---or a list) on or after from (default D), or nil.
---@param dates string|integer|(string|integer)[]
---@param from? integer
---@return integer?
function dt.next_of(dates, from) end

---Only os.time() is there: the as-of time.
os = {}

---The as-of time (D at 23:59:59), in seconds.
---@return integer
function os.time() end
