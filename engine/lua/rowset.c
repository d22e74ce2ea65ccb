/* rowset.c: rows as rules see them: a client's rows of one table, or a
 * lookup table, read lazily from the C-side arena; and the methods on them
 * (count, sum, max, filter ...), whose conditions run in C when given as a
 * table of field = value. */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "filter.h"
#include "idindex.h"
#include "rowset.h"

#define ROW_CACHE_ARRAY 64   /* rows of a client's rowset whose objects have room at once */

/* Returns the userdata at idx when it is one of ours of this kind (magic
 * and size match), else NULL. Faster than comparing metatables by name. */
void *cp_rowset_udata(lua_State *L, int idx, uint32_t magic, size_t size)
{
  if (lua_type(L, idx) != LUA_TUSERDATA || lua_rawlen(L, idx) != size)
    return NULL;
  uint32_t *p = lua_touserdata(L, idx);
  return *p == magic ? p : NULL;
}

/* Like cp_rowset_udata(), raising "bad argument" when the value is not one. */
static void *check_udata(lua_State *L, int idx, uint32_t magic, size_t size, const char *what)
{
  void *p = cp_rowset_udata(L, idx, magic, size);
  if (!p)
    luaL_typeerror(L, idx, what);
  return p;
}

void cp_rowset_value_push(lua_State *L, const cp_value *v)
{
  switch (v->type) {
  case CP_V_INT:
    lua_pushinteger(L, v->u.i);
    break;
  case CP_V_REAL:
    lua_pushnumber(L, v->u.r);
    break;
  case CP_V_TEXT:
    lua_pushlstring(L, v->u.s, v->len);
    break;
  case CP_V_BOOL:
    lua_pushboolean(L, (int)v->u.i);
    break;
  default:
    lua_pushnil(L);
  }
}

/* Returns the table declaration of a source. */
const cp_table_cfg *cp_rowset_cfg(const cp_rules *api, uint32_t source)
{
  const cp_config_file *f = api->cfg->file;
  return source < f->tables_count ? &f->tables[source] : &f->lookups[source - f->tables_count];
}

/* Returns the rows of a source, raising an error for rows of a client whose
 * evaluation is over (a rule kept them in a global or upvalue). */
const cp_rows *cp_rowset_rows(lua_State *L, cp_rules *api, uint32_t gen, uint32_t source)
{
  if (gen && (gen != api->gen || !api->client))
    luaL_error(L, "rows of %s belong to a client whose evaluation is over",
               cp_rowset_cfg(api, source)->name);
  if (source < api->cfg->file->tables_count)
    return &api->client->tables[source];
  const cp_rows *rows;
  cp_facts_lookup(api->facts, source - api->cfg->file->tables_count, &rows);
  return rows;
}

/* row.field: upvalue 1 maps source+1 -> {column name -> column index}. */
static int row_index(lua_State *L)
{
  row_ud *r = check_udata(L, 1, ROW_MAGIC, sizeof *r, "row");
  const cp_rows *rows = cp_rowset_rows(L, r->api, r->gen, r->source);
  lua_rawgeti(L, lua_upvalueindex(1), (lua_Integer)r->source + 1);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) != LUA_TNUMBER) {
    const char *name = lua_tostring(L, 2);
    const cp_table_cfg *t = cp_rowset_cfg(r->api, r->source);
    return luaL_error(L, "%s row has no field '%s'%s", t->name,
                      name ? name : luaL_typename(L, 2), cp_filter_undeclared(t, name));
  }
  size_t ncols = cp_rowset_cfg(r->api, r->source)->columns_count;
  cp_value v;
  cp_facts_value(rows, ncols, r->row, (unsigned)lua_tointeger(L, -1), &v);
  cp_rowset_value_push(L, &v);
  return 1;
}

/* rowA == rowB: the same row of the same rows (lookup rows are not cached,
 * so one row may have several objects). */
static int row_eq(lua_State *L)
{
  row_ud *a = cp_rowset_udata(L, 1, ROW_MAGIC, sizeof *a);
  row_ud *b = cp_rowset_udata(L, 2, ROW_MAGIC, sizeof *b);
  lua_pushboolean(L, a && b && a->source == b->source && a->gen == b->gen && a->row == b->row);
  return 1;
}

void cp_rowset_push_lookup_row(lua_State *L, cp_rules *api, uint32_t source, uint32_t i)
{
  row_ud *r = lua_newuserdatauv(L, sizeof *r, 0);
  *r = (row_ud){ROW_MAGIC, api, 0, source, i};
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->row_mt_ref);
  lua_setmetatable(L, -2);
}

/* Pushes row i (0-based) of a rowset at idx. A client's rows are cached in
 * its user value; a lookup's are made anew, so that a run does not keep an
 * object for every lookup row it ever looked at. */
void cp_rowset_push_row(lua_State *L, int idx, const rowset_ud *s, uint32_t i)
{
  row_ud *r;
  if (!s->gen) {
    cp_rowset_push_lookup_row(L, s->api, s->source, i);
    return;
  }
  if (lua_getiuservalue(L, idx, 1) != LUA_TTABLE) {   /* made on the first row asked for */
    lua_pop(L, 1);
    uint32_t n = s->api->client ? cp_rowset_rows(L, s->api, s->gen, s->source)->n : 0;
    lua_createtable(L, (int)(n < ROW_CACHE_ARRAY ? n : ROW_CACHE_ARRAY), 0);   /* no rehash */
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, idx, 1);
  }
  if (lua_rawgeti(L, -1, (lua_Integer)i + 1) == LUA_TNIL) {
    lua_pop(L, 1);
    r = lua_newuserdatauv(L, sizeof *r, 0);
    *r = (row_ud){ROW_MAGIC, s->api, s->gen, s->source, i};
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->api->row_mt_ref);   /* faster than by name */
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, (lua_Integer)i + 1);
  }
  lua_remove(L, -2);
}

/* rows[i] (1-based) or rows:method: upvalue 1 is the methods table. A
 * float with a whole value is that index, as Lua reads a table's keys
 * (rows[n / 2] is rows[2] for n = 4, as it is for a filtered list). */
static int rowset_index(lua_State *L)
{
  rowset_ud *s = check_udata(L, 1, ROWSET_MAGIC, sizeof *s, "rows");
  if (lua_type(L, 2) == LUA_TNUMBER) {
    const cp_rows *rows = cp_rowset_rows(L, s->api, s->gen, s->source);
    int whole = 0;
    lua_Integer i = lua_tointegerx(L, 2, &whole);
    if (!whole || i < 1 || i > (lua_Integer)rows->n)
      lua_pushnil(L);
    else
      cp_rowset_push_row(L, 1, s, (uint32_t)(i - 1));
    return 1;
  }
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL)
    return luaL_error(L, "%s has no method '%s'", cp_rowset_cfg(s->api, s->source)->name,
                      lua_tostring(L, 2) ? lua_tostring(L, 2) : "?");
  return 1;
}

/* #rows */
static int rowset_len(lua_State *L)
{
  rowset_ud *s = check_udata(L, 1, ROWSET_MAGIC, sizeof *s, "rows");
  lua_pushinteger(L, cp_rowset_rows(L, s->api, s->gen, s->source)->n);
  return 1;
}

void cp_rowset_push(lua_State *L, cp_rules *api, uint32_t gen, uint32_t source)
{
  rowset_ud *s = lua_newuserdatauv(L, sizeof *s, 2);
  *s = (rowset_ud){ROWSET_MAGIC, api, gen, source};
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->rowset_mt_ref);
  lua_setmetatable(L, -2);
}

/* Pushes the id index of a lookup's rows (a userdata, user value 2 of its rowset). */
static void push_id_index(lua_State *L, const cp_table_cfg *t, const cp_rows *rows, uint32_t col)
{
  cp_id_index *x = lua_newuserdatauv(L, cp_idindex_size(rows->n), 0);
  cp_idindex_build(x, rows, t->columns_count, col);
}

/* Reads the Lua value at idx as a key to look up (CP_V_NIL for a value that
 * no row can have as id: a table, nil ...). */
static cp_value lua_key(lua_State *L, int idx)
{
  size_t len;
  const char *text;
  switch (lua_type(L, idx)) {
  case LUA_TSTRING:
    text = lua_tolstring(L, idx, &len);
    return (cp_value){.type = CP_V_TEXT, .len = (uint32_t)len, .u.s = text};
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx))
      return (cp_value){.type = CP_V_INT, .u.i = lua_tointeger(L, idx)};
    return (cp_value){.type = CP_V_REAL, .u.r = lua_tonumber(L, idx)};
  case LUA_TBOOLEAN:
    return (cp_value){.type = CP_V_BOOL, .u.i = lua_toboolean(L, idx)};
  default:
    return (cp_value){.type = CP_V_NIL};
  }
}

/* lookup.staff:get(id): the row with that id, or nil. */
static int rowset_get(lua_State *L)
{
  rowset_ud *s = check_udata(L, 1, ROWSET_MAGIC, sizeof *s, "rows");
  if (s->gen)
    return luaL_error(L, "get() is for lookup tables; use filter() on a client's rows");
  lua_getiuservalue(L, 1, 2);
  const cp_id_index *x = lua_touserdata(L, -1);
  cp_value key = lua_key(L, 2);
  if (!x || key.type == CP_V_NIL)
    return lua_pushnil(L), 1;
  const cp_rows *rows = cp_rowset_rows(L, s->api, 0, s->source);
  int64_t row = cp_idindex_find(x, rows, cp_rowset_cfg(s->api, s->source)->columns_count, &key);
  if (row < 0)
    return lua_pushnil(L), 1;
  cp_rowset_push_row(L, 1, s, (uint32_t)row);
  return 1;
}

/* The rows a method walks: a rowset, or a list that filter() made. */
typedef struct items {
  cp_rules *api;              /* context */
  int self;                 /* stack index of the rowset or list */
  rowset_ud *set;           /* the rowset, or NULL for a list */
  const cp_rows *rows;      /* the rowset's rows */
  size_t n;                 /* number of rows */
} items;

/* Opens the rows of the rowset or list at idx, and charges the budget for
 * scanning them all (a lookup may hold tens of thousands of rows; the
 * conditions run in C, which no instruction count sees). */
static void items_open(lua_State *L, int idx, items *it)
{
  it->api = cp_api_of(L);
  it->self = idx;
  it->set = cp_rowset_udata(L, idx, ROWSET_MAGIC, sizeof(rowset_ud));
  if (it->set) {
    it->rows = cp_rowset_rows(L, it->api, it->set->gen, it->set->source);
    it->n = it->rows->n;
  } else {
    luaL_checktype(L, idx, LUA_TTABLE);
    if (cp_freeze_behind(L, idx))   /* a frozen list (a derived value): its rows */
      lua_replace(L, idx);
    it->n = lua_rawlen(L, idx);
  }
  cp_sandbox_charge(L, it->n);
}

/* A predicate: nothing, a Lua function, or a table filter. */
typedef struct pred {
  int fn;                   /* stack index of the function, or 0 */
  int table;                /* stack index of the filter table, or 0 */
  cp_filter f;              /* the table compiled for source */
  int64_t source;           /* source it was compiled for; -1: none yet */
} pred;

/* Reads the optional predicate at idx for the rows it. A table over a
 * rowset is compiled now, so that a wrong condition fails even for a
 * client without rows; over a list, on the first row of each table. */
static void pred_open(lua_State *L, int idx, const items *it, pred *p)
{
  p->fn = p->table = 0;
  p->source = -1;
  if (lua_isfunction(L, idx))
    p->fn = idx;
  else if (lua_istable(L, idx))
    p->table = idx;
  else if (!lua_isnoneornil(L, idx))
    luaL_error(L, "a condition must be a function(row) or a table {field = value}");
  if (p->table && it->set) {
    cp_filter_compile(L, p->table, cp_rowset_cfg(it->api, it->set->source), &p->f,
                      cp_freeze_behind);
    p->source = it->set->source;
  }
}

/* Returns the values of row r of rows (of source): in place, or a packed
 * lookup row read into the API's scratch row, valid until the next call
 * (the callers use them at once, in C). */
static const cp_value *row_values(lua_State *L, cp_rules *api, const cp_rows *rows,
                                  uint32_t source, uint32_t r)
{
  size_t ncols = cp_rowset_cfg(api, source)->columns_count;
  if (rows->packed && ncols > api->row_buf_cap) {
    cp_value *buf = realloc(api->row_buf, ncols * sizeof *buf);
    if (!buf)
      cp_sandbox_nomem(L);
    api->row_buf = buf;
    api->row_buf_cap = ncols;
  }
  return cp_facts_row(rows, ncols, r, api->row_buf);
}

/* Returns the values of row i (0-based) and its source (see row_values()). */
static const cp_value *items_values(lua_State *L, const items *it, size_t i, uint32_t *source)
{
  if (it->set) {
    *source = it->set->source;
    return row_values(L, it->api, it->rows, *source, (uint32_t)i);
  }
  lua_rawgeti(L, it->self, (lua_Integer)i + 1);
  row_ud *r = cp_rowset_udata(L, -1, ROW_MAGIC, sizeof *r);
  if (!r)
    luaL_error(L, "item %d of the list is a %s, not a row", (int)(i + 1), luaL_typename(L, -1));
  lua_pop(L, 1);   /* the list keeps the row alive */
  const cp_rows *rows = cp_rowset_rows(L, r->api, r->gen, r->source);
  *source = r->source;
  return row_values(L, it->api, rows, r->source, r->row);
}

/* Pushes the row object of row i. */
static void items_push(lua_State *L, const items *it, size_t i)
{
  if (it->set)
    cp_rowset_push_row(L, it->self, it->set, (uint32_t)i);
  else
    lua_rawgeti(L, it->self, (lua_Integer)i + 1);
}

/* Returns 1 when row i satisfies the predicate. */
static int items_match(lua_State *L, const items *it, size_t i, pred *p)
{
  uint32_t source;
  if (p->fn) {
    lua_pushvalue(L, p->fn);
    items_push(L, it, i);
    lua_call(L, 1, 1);
    int yes = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return yes;
  }
  if (!p->table)
    return 1;
  const cp_value *v = items_values(L, it, i, &source);
  if (p->source != (int64_t)source) {
    cp_filter_compile(L, p->table, cp_rowset_cfg(it->api, source), &p->f,
                      cp_freeze_behind);
    p->source = source;
  }
  return cp_filter_match(&p->f, v);
}

/* rows:count(pred) */
static int m_count(lua_State *L)
{
  items it;
  pred p;
  lua_Integer n = 0;
  items_open(L, 1, &it);
  pred_open(L, 2, &it, &p);
  for (size_t i = 0; i < it.n; i++)
    n += items_match(L, &it, i, &p);
  lua_pushinteger(L, n);
  return 1;
}

/* Walks the rows that match pred (at 3), calling visit with each row's
 * value of the field named at 2 (nil values are passed too). */
static void walk_field(lua_State *L, items *it, pred *p,
                       void (*visit)(lua_State *L, void *ctx, const cp_value *v, size_t i),
                       void *ctx)
{
  luaL_checkstring(L, 2);
  int64_t cached = -1;
  uint32_t col = 0, source;
  if (it->set) {   /* a misspelt field fails for a client without rows too */
    col = cp_filter_column_at(L, cp_rowset_cfg(it->api, it->set->source), 2);
    cached = it->set->source;
  }
  for (size_t i = 0; i < it->n; i++) {
    if (!items_match(L, it, i, p))
      continue;
    const cp_value *v = items_values(L, it, i, &source);
    if ((int64_t)source != cached) {
      col = cp_filter_column_at(L, cp_rowset_cfg(it->api, source), 2);
      cached = source;
    }
    visit(L, ctx, &v[col], i);
  }
}

/* Sum state: integers stay integers until a float appears. */
typedef struct summer {
  lua_Integer i;            /* integer sum */
  lua_Number n;             /* float sum */
  int is_float;             /* a float was added */
} summer;

static void add_value(lua_State *L, void *ctx, const cp_value *v, size_t i)
{
  summer *s = ctx;
  (void)i;
  if (v->type == CP_V_INT) {
    if (__builtin_add_overflow(s->i, v->u.i, &s->i))   /* never a wrapped total */
      luaL_error(L, "sum(): the sum does not fit in a 64-bit integer");
  } else if (v->type == CP_V_REAL) {
    s->n += v->u.r;
    s->is_float = 1;
  } else if (v->type != CP_V_NIL) {
    luaL_error(L, "sum(): the field is not a number");
  }
}

/* rows:sum(field, pred): nil values count as nothing. */
static int m_sum(lua_State *L)
{
  items it;
  pred p;
  summer s = {0};
  items_open(L, 1, &it);
  pred_open(L, 3, &it, &p);
  cp_filter_check_name(L, 2, "sum()");
  if (it.set) {   /* a text column fails without rows too */
    const cp_table_cfg *t = cp_rowset_cfg(it.api, it.set->source);
    cp_coltype type = t->columns[cp_filter_column_at(L, t, 2)].type;
    if (type == CP_COL_TEXT || type == CP_COL_BOOLEAN)
      luaL_error(L, "sum(): the field is not a number");
  }
  walk_field(L, &it, &p, add_value, &s);
  if (s.is_float)
    lua_pushnumber(L, s.n + (lua_Number)s.i);
  else
    lua_pushinteger(L, s.i);
  return 1;
}

/* Extremum state. */
typedef struct best {
  cp_value v;               /* best value so far (a copy: a packed row is read anew) */
  int found;                /* v is set */
  size_t i;                 /* its row */
  int want_max;             /* max (1) or min (0) */
} best;

/* Returns a < b for two non-nil values of one column; texts byte by byte
 * to their ends, as Lua compares them (a NUL byte included: "a\0c" is
 * after "a\0b" and "a"). */
static int value_less(const cp_value *a, const cp_value *b)
{
  if (a->type == CP_V_TEXT) {
    int c = memcmp(a->u.s, b->u.s, a->len < b->len ? a->len : b->len);
    return c < 0 || (c == 0 && a->len < b->len);
  }
  if (a->type != CP_V_REAL && b->type != CP_V_REAL)
    return a->u.i < b->u.i;
  if (a->type == CP_V_REAL && b->type == CP_V_REAL)
    return a->u.r < b->u.r;
  if (a->type == CP_V_REAL)   /* an integer and a float: exactly, as Lua compares them */
    return cp_filter_cmp_int_float(b->u.i, a->u.r) == 1;
  return cp_filter_cmp_int_float(a->u.i, b->u.r) == -1;
}

/* The kind of a fact value that max() and min() compare: 0 number, 1 text,
 * 2 boolean. */
static int value_kind(const cp_value *v)
{
  return v->type == CP_V_TEXT ? 1 : v->type == CP_V_BOOL ? 2 : 0;
}

static void keep_best(lua_State *L, void *ctx, const cp_value *v, size_t i)
{
  static const char *const kinds[] = {"number", "text", "boolean"};
  best *b = ctx;
  if (v->type == CP_V_NIL)
    return;
  if (b->found && value_kind(v) != value_kind(&b->v))   /* a list of rows of two tables */
    luaL_error(L, "max() and min() compare values of one kind, not a %s and a %s (rows of "
               "different tables?)", kinds[value_kind(&b->v)], kinds[value_kind(v)]);
  if (!b->found || (b->want_max ? value_less(&b->v, v) : value_less(v, &b->v))) {
    b->v = *v;
    b->found = 1;
    b->i = i;
  }
}

/* rows:max(field, pred) / rows:min(field, pred): the value and its row
 * (the first such row on ties), or nil. */
static int extremum(lua_State *L, int want_max)
{
  items it;
  pred p;
  best b = {.want_max = want_max};
  cp_filter_check_name(L, 2, want_max ? "max()" : "min()");
  items_open(L, 1, &it);
  pred_open(L, 3, &it, &p);
  walk_field(L, &it, &p, keep_best, &b);
  if (!b.found)
    return lua_pushnil(L), 1;
  cp_rowset_value_push(L, &b.v);
  items_push(L, &it, b.i);
  return 2;
}

static int m_max(lua_State *L)
{
  return extremum(L, 1);
}

static int m_min(lua_State *L)
{
  return extremum(L, 0);
}

/* rows:first(pred): the first matching row, or nil. */
static int m_first(lua_State *L)
{
  items it;
  pred p;
  items_open(L, 1, &it);
  pred_open(L, 2, &it, &p);
  for (size_t i = 0; i < it.n; i++)
    if (items_match(L, &it, i, &p))
      return items_push(L, &it, i), 1;
  return lua_pushnil(L), 1;
}

/* rows:any(pred) */
static int m_any(lua_State *L)
{
  m_first(L);
  lua_pushboolean(L, !lua_isnil(L, -1));
  return 1;
}

/* rows:filter(pred): a list of the matching rows, with these methods. */
static int m_filter(lua_State *L)
{
  items it;
  pred p;
  items_open(L, 1, &it);
  pred_open(L, 2, &it, &p);
  lua_newtable(L);
  lua_Integer n = 0;
  for (size_t i = 0; i < it.n; i++)
    if (items_match(L, &it, i, &p)) {
      items_push(L, &it, i);
      lua_rawseti(L, -2, ++n);
    }
  luaL_setmetatable(L, LIST_MT);
  return 1;
}

/* The iterator of each(): upvalues are the rows and the next index. */
static int each_next(lua_State *L)
{
  lua_Integer i = lua_tointeger(L, lua_upvalueindex(2)) + 1;
  lua_pushinteger(L, i);
  lua_replace(L, lua_upvalueindex(2));
  lua_geti(L, lua_upvalueindex(1), i);
  return 1;
}

/* rows:each(): for row in rows:each() do ... end */
static int m_each(lua_State *L)
{
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, each_next, 2);
  return 1;
}

/* tostring(list): "<2 rows>" (what filter() gives). */
static int list_tostring(lua_State *L)
{
  lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
  lua_pushfstring(L, "<%I row%s>", n, n == 1 ? "" : "s");
  return 1;
}

/* Pushes the methods table shared by rowsets and lists. */
static void push_methods(lua_State *L)
{
  static const luaL_Reg methods[] = {
    {"count", m_count}, {"sum", m_sum},       {"max", m_max},     {"min", m_min},
    {"first", m_first}, {"any", m_any},       {"filter", m_filter}, {"each", m_each},
    {"get", rowset_get}, {"by", cp_rowsby_by}, {NULL, NULL}};
  luaL_newlib(L, methods);
  luaL_newmetatable(L, LIST_MT);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, list_tostring);
  lua_setfield(L, -2, "__tostring");
  cp_freeze_protect(L, -1);
  lua_pop(L, 1);
}

/* Builds {column name -> index} for a source, left on the stack. */
static void push_colmap(lua_State *L, const cp_table_cfg *t)
{
  lua_createtable(L, 0, (int)t->columns_count);
  for (unsigned j = 0; j < t->columns_count; j++) {
    lua_pushinteger(L, j);
    lua_setfield(L, -2, t->columns[j].name);
  }
}

/* Returns the index of the lookup's id column among its columns, or -1. */
static int id_column(const cp_table_cfg *t)
{
  for (unsigned j = 0; j < t->columns_count; j++)
    if (strcmp(t->columns[j].name, t->id) == 0)
      return (int)j;
  return -1;
}

/* Sets the global `lookup`: name -> rowset over the whole lookup table, with
 * an id index for get(). */
static void push_lookups(cp_rules *api)
{
  lua_State *L = api->L;
  const cp_config_file *f = api->cfg->file;
  lua_newtable(L);
  for (unsigned i = 0; i < f->lookups_count; i++) {
    const cp_table_cfg *t = &f->lookups[i];
    const cp_rows *rows;
    int idc = id_column(t);
    cp_facts_lookup(api->facts, i, &rows);
    cp_rowset_push(L, api, 0, f->tables_count + i);
    if (idc >= 0) {
      push_id_index(L, t, rows, (uint32_t)idc);
      lua_setiuservalue(L, -2, 2);
    }
    lua_setfield(L, -2, t->name);
  }
  cp_freeze(L, -1);
  lua_remove(L, -2);
}

/* tostring(row): "orders row O1" (its id, when the table declares one that
 * the row gives), else "orders row #3" (its place): never an address,
 * which differs from run to run and would change a title every night. */
static int row_tostring(lua_State *L)
{
  row_ud *r = check_udata(L, 1, ROW_MAGIC, sizeof *r, "row");
  const cp_rows *rows = cp_rowset_rows(L, r->api, r->gen, r->source);
  const cp_table_cfg *t = cp_rowset_cfg(r->api, r->source);
  int j = t->id ? id_column(t) : -1;
  cp_value v = {.type = CP_V_NIL};
  if (j >= 0)
    cp_facts_value(rows, t->columns_count, r->row, (unsigned)j, &v);
  if (v.type == CP_V_TEXT)
    lua_pushfstring(L, "%s row %s", t->name, v.u.s);
  else if (v.type == CP_V_INT)
    lua_pushfstring(L, "%s row %I", t->name, (lua_Integer)v.u.i);
  else
    lua_pushfstring(L, "%s row #%I", t->name, (lua_Integer)r->row + 1);
  return 1;
}

/* tostring(rows): "<2 rows of orders>". */
static int rowset_tostring(lua_State *L)
{
  rowset_ud *s = check_udata(L, 1, ROWSET_MAGIC, sizeof *s, "rows");
  const cp_rows *rows = cp_rowset_rows(L, s->api, s->gen, s->source);
  lua_pushfstring(L, "<%I row%s of %s>", (lua_Integer)rows->n, rows->n == 1 ? "" : "s",
                  cp_rowset_cfg(s->api, s->source)->name);
  return 1;
}

void cp_rowset_register(cp_rules *api)
{
  lua_State *L = api->L;
  const cp_config_file *f = api->cfg->file;
  luaL_newmetatable(L, ROW_MT);
  lua_createtable(L, (int)(f->tables_count + f->lookups_count), 0);
  for (unsigned i = 0; i < f->tables_count + f->lookups_count; i++) {
    push_colmap(L, cp_rowset_cfg(api, i));
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushcclosure(L, row_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, row_eq);
  lua_setfield(L, -2, "__eq");
  lua_pushcfunction(L, row_tostring);
  lua_setfield(L, -2, "__tostring");
  cp_freeze_protect(L, -1);
  api->row_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  luaL_newmetatable(L, ROWSET_MT);
  push_methods(L);
  lua_pushcclosure(L, rowset_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, rowset_len);
  lua_setfield(L, -2, "__len");
  lua_pushcfunction(L, rowset_tostring);
  lua_setfield(L, -2, "__tostring");
  cp_freeze_protect(L, -1);
  api->rowset_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

void cp_rowset_push_lookups(cp_rules *api)
{
  push_lookups(api);
}

