/* sandbox.c: the Lua host for rule files, modelled on lua.c and Redis's
 * script_lua.c: allow-list as data, text-only chunks, a capped allocator and a
 * budget: a count hook that keeps firing once the budget is spent, charges
 * for heap growth and for the work of library functions (sblib.c), and a
 * wall-time backstop. */
#include "sandbox.h"
#include "words.h"
#include "sblib.h"

#include <errno.h>
#include <limits.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "freeze.h"
#include "outcome.h"
#include "sbuf.h"

#define HOOK_EVERY 1000        /* instructions between two hook calls */
#define HOST_RESERVE (4u << 20)   /* heap past the cap for the host's own work, see sb_alloc */
#define MESSAGE_MAX 2000       /* bytes of an error message kept (then "...") */
#define TRACEBACK_MAX 4000     /* bytes of a traceback kept */
#define ALLOC_BYTES_PER_UNIT 64 /* heap bytes allocated per instruction charged:
                                 * about what memcpy does in one VM instruction's time */
#define NS_PER_UNIT 1000       /* a call also ends after budget microseconds of
                                 * wall time: a backstop for work no count sees */
#define PRINT_LIMIT (1u << 20) /* bytes print() may write in one run */
#define TRIP_GRACE (64u << 10) /* heap growth allowed once the budget is spent:
                                * room for the error message and its traceback */
#define SMALL_STEP 16          /* small blocks come in sizes of 16, 32, ... bytes */
#define SMALL_MAX 256          /* the largest small block */
#define SMALL_CLASSES (SMALL_MAX / SMALL_STEP)
#if defined(__SANITIZE_ADDRESS__)
#define SMALL_KEEP 0u          /* the sanitizer build sees every free, and a use after it */
#else
#define SMALL_KEEP (1u << 20)  /* bytes of freed small blocks kept for reuse */
#endif

/* The names a rule may use from each standard library; all else is absent.
 * Left out on purpose: load, loadstring, dofile, loadfile, require (replaced
 * by one that reads rules/ only), rawset (it would bypass read-only tables),
 * collectgarbage (replaced: "count" only), print (replaced: stderr),
 * string.dump, math.random, math.randomseed, and the io, os, debug and
 * package libraries (os.time is replaced: it answers the as-of time). */
static const struct allow {
  const char *lib;     /* global name of the library ("_G": base functions) */
  const char *names;   /* space-separated allowed names */
} allow_list[] = {
  {"_G", "assert error getmetatable ipairs next pairs pcall rawequal rawget rawlen select "
         "setmetatable tonumber tostring type xpcall _VERSION"},
  {"string", "byte char find format gmatch gsub len lower match pack packsize rep reverse "
             "sub unpack upper"},
  {"table", "concat insert move pack remove sort unpack"},
  {"math", "abs ceil cos deg exp floor fmod huge log max maxinteger min mininteger modf pi "
           "rad sin sqrt tan tointeger type ult"},
  {"utf8", "char charpattern codepoint codes len offset"},
  {"coroutine", "close create isyieldable resume running status wrap yield"},
};

/* The standard libraries opened before filtering. */
static const luaL_Reg libs[] = {
  {LUA_GNAME, luaopen_base},          {LUA_STRLIBNAME, luaopen_string},
  {LUA_TABLIBNAME, luaopen_table},    {LUA_MATHLIBNAME, luaopen_math},
  {LUA_UTF8LIBNAME, luaopen_utf8},    {LUA_COLIBNAME, luaopen_coroutine},
};

struct cp_sandbox {
  lua_State *L;             /* the state */
  size_t used;              /* heap bytes in use */
  size_t limit;             /* heap cap */
  uint64_t budget;          /* instructions allowed in the current call */
  uint64_t spent;           /* instructions counted so far */
  uint64_t deadline;        /* monotonic ns after which the call is over budget;
                               0: the clock is not read yet */
  int active;               /* a budgeted call is under way: work is charged */
  int hook_mask;            /* the hook's event mask during a budgeted call */
  int tripped;              /* the budget ran out during the current call */
  int fd_limit;             /* a rule file could not be read for want of file descriptors */
  int sys_oom;              /* the process's allocator refused a block (not the cap) */
  size_t grace;             /* heap growth still allowed after the budget ran out */
  lua_State *running;       /* the coroutine a budget guard resumed, or NULL */
  int resumes;              /* resumes and closes under way, nested */
  char where[256];          /* "rules/x.lua:3:", where the budget ran out */
  int env_ref;              /* registry ref of the base environment */
  int files_ref;            /* registry ref of the list of file environments */
  int loaded_ref;           /* registry ref of modules loaded by require */
  int locked;               /* globals are read-only */
  char rules_dir[1024];     /* folder that require reads */
  char rules_name[256];     /* that folder as messages name it ("rules") */
  void *user;               /* the host's context */
  cp_sandbox_watch watch;   /* coverage: line and load callbacks, or none */
  int in_call;              /* Lua code runs (a protected call): the cap has no reserve */
  int uncapped;             /* a --jobs worker copies a run value the main state holds */
  size_t hold_mark;         /* heap above which a finished call is checked for holding */
  void *small[SMALL_CLASSES];  /* freed small blocks by size class, each linking the next */
  size_t small_kept;        /* bytes in them */
  int carry;                /* print() is carried in print_to, not written (a worker's) */
  cp_outcome *print_to;     /* the outcome of the client being evaluated, or NULL */
};

static void budget_hook(lua_State *L, lua_Debug *ar);

/* Charges a budgeted call for growing the heap by grow bytes (copying is
 * work no instruction counts: `s = s .. big` in a loop). Once that spends
 * the budget, the running thread's hook fires at its next instruction to
 * raise the budget error, and growth past a little grace is refused (a
 * memory error, reported as the budget). Returns 0 to refuse. Nothing here
 * reads the Lua stack: the allocator may run while it is being moved. */
static int charge_growth(cp_sandbox *sb, size_t grow)
{
  if (!sb->active)
    return 1;
  if (sb->tripped) {
    if (grow > sb->grace)
      return 0;
    sb->grace -= grow;
    return 1;
  }
  sb->spent += grow / ALLOC_BYTES_PER_UNIT;
  if (sb->spent > sb->budget) {
    sb->tripped = 1;
    sb->grace = TRIP_GRACE;
    lua_sethook(sb->running ? sb->running : sb->L, budget_hook, sb->hook_mask, 1);
  }
  return 1;
}

/* The size class of a small block of n bytes (0 < n <= SMALL_MAX), and the
 * size every block of that class is given. */
static unsigned small_class(size_t n)
{
  return (unsigned)((n - 1) / SMALL_STEP);
}

static size_t class_size(unsigned c)
{
  return (size_t)(c + 1) * SMALL_STEP;
}

/* Frees a block of size bytes: a small one is kept in its class's list for
 * the next block of that class (Lua frees and makes small objects by the
 * thousand a client: tables, strings, closures), up to SMALL_KEEP bytes in
 * all; the rest goes back to malloc. */
static void block_free(cp_sandbox *sb, void *p, size_t size)
{
  if (size > 0 && size <= SMALL_MAX && sb->small_kept + SMALL_MAX <= SMALL_KEEP) {
    unsigned c = small_class(size);
    *(void **)p = sb->small[c];
    sb->small[c] = p;
    sb->small_kept += class_size(c);
    return;
  }
  free(p);
}

/* Returns a new block of size bytes (0 < size), or NULL: a kept one of its
 * class when there is one; a small one is made as large as its class, so
 * that any block of the class can be reused for any size in it. */
static void *block_new(cp_sandbox *sb, size_t size)
{
  if (size > SMALL_MAX)
    return malloc(size);
  unsigned c = small_class(size);
  void *p = sb->small[c];
  if (!p)
    return malloc(class_size(c));
  sb->small[c] = *(void **)p;
  sb->small_kept -= class_size(c);
  return p;
}

/* Resizes block p of old bytes (0 < old, 0 < size). A small block whose
 * class stays keeps its place; another small size takes a kept block when
 * there is one; anything else is realloc's (small sizes rounded up to their
 * class, as block_new makes them). */
static void *block_resize(cp_sandbox *sb, void *p, size_t old, size_t size)
{
  if (old <= SMALL_MAX && size <= SMALL_MAX && small_class(old) == small_class(size))
    return p;
  if (size <= SMALL_MAX && sb->small[small_class(size)]) {
    void *q = block_new(sb, size);
    memcpy(q, p, old < size ? old : size);
    block_free(sb, p, old);
    return q;
  }
  return realloc(p, size <= SMALL_MAX ? class_size(small_class(size)) : size);
}

/* Frees the small blocks kept for reuse. */
static void free_small(cp_sandbox *sb)
{
  for (unsigned c = 0; c < SMALL_CLASSES; c++)
    while (sb->small[c]) {
      void *p = sb->small[c];
      sb->small[c] = *(void **)p;
      free(p);
    }
  sb->small_kept = 0;
}

/* Allocator with a cap: returns NULL (a Lua memory error) past the limit,
 * and refuses growth once a budgeted call has spent its budget. Outside
 * protected calls (the host's own work: messages after a failure, results,
 * run values) the limit is HOST_RESERVE higher, so that a rule that filled
 * the heap cannot make the engine's own allocations fail. The cap counts
 * the sizes Lua asks for, not the rounding of small blocks nor the blocks
 * kept for reuse. */
static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  cp_sandbox *sb = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    if (ptr)
      block_free(sb, ptr, old);
    sb->used -= old;
    return NULL;
  }
  if (nsize > old && !sb->uncapped &&
      (sb->used + (nsize - old) > sb->limit + (sb->in_call ? 0 : HOST_RESERVE) ||
       !charge_growth(sb, nsize - old)))
    return NULL;
  void *p = ptr ? block_resize(sb, ptr, old, nsize) : block_new(sb, nsize);   /* most are new */
  if (p)
    sb->used = sb->used - old + nsize;
  else
    sb->sys_oom = 1;   /* the machine's memory, not the rules' cap: exit 3 where it stops a run */
  return p;
}

cp_sandbox *cp_sandbox_of(lua_State *L)
{
  return *(cp_sandbox **)lua_getextraspace(L);
}

/* Monotonic clock in nanoseconds. */
static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Marks the budget spent and notes where: the innermost Lua line running
 * in L (called where the stack may be read: a hook, a C function). */
static void trip(cp_sandbox *sb, lua_State *L)
{
  lua_Debug ar;
  if (!sb->tripped) {
    sb->tripped = 1;
    sb->grace = TRIP_GRACE;
  }
  for (int level = 0; !*sb->where && lua_getstack(L, level, &ar); level++)
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
      snprintf(sb->where, sizeof sb->where, "%s:%d:", ar.short_src, ar.currentline);
}

/* Marks the budget spent and raises its error in L; the hook of L fires on
 * every instruction from now on, so that nothing the rule runs gets far. */
static int budget_error(lua_State *L, cp_sandbox *sb)
{
  trip(sb, L);
  if (lua_gethookcount(L) != 1)
    lua_sethook(L, budget_hook, sb->hook_mask, 1);
  return luaL_error(L, "instruction budget of %I exceeded", (lua_Integer)sb->budget);
}

/* Returns 1 when the call is past its wall-time backstop. The clock is first
 * read when a call has run HOOK_EVERY instructions (or asks for as much
 * work): most rule calls are shorter and never read it. */
static int past_deadline(cp_sandbox *sb)
{
  uint64_t now = now_ns();
  if (sb->deadline == 0)   /* not read yet: the backstop starts now */
    sb->deadline = sb->budget > (UINT64_MAX - now) / NS_PER_UNIT
                     ? UINT64_MAX
                     : now + sb->budget * NS_PER_UNIT;
  return now > sb->deadline;
}

/* Count hook: charges the instructions run since its last call; past the
 * budget (or its wall-time backstop), raises the budget error. */
static void budget_hook(lua_State *L, lua_Debug *ar)
{
  cp_sandbox *sb = cp_sandbox_of(L);
  if (ar->event == LUA_HOOKLINE) {
    if (lua_getinfo(L, "S", ar))
      sb->watch.line(sb->watch.ctx, ar->source, ar->currentline);
    return;
  }
  if (!sb->active)   /* a coroutine's hook from a call that is over */
    return;
  sb->spent += (uint64_t)lua_gethookcount(L);
  if (sb->spent <= sb->budget && !sb->tripped && !past_deadline(sb))
    return;
  budget_error(L, sb);
}

void cp_sandbox_charge(lua_State *L, uint64_t units)
{
  cp_sandbox *sb = cp_sandbox_of(L);
  if (!sb->active)
    return;
  sb->spent = units > UINT64_MAX - sb->spent ? UINT64_MAX : sb->spent + units;
  if (sb->spent > sb->budget || sb->tripped ||
      (units >= HOOK_EVERY && past_deadline(sb)))
    budget_error(L, sb);
}

void cp_sandbox_recheck(lua_State *L)
{
  cp_sandbox *sb = cp_sandbox_of(L);
  if (sb->active && (sb->tripped || sb->spent > sb->budget))
    budget_error(L, sb);
}

lua_State *cp_sandbox_arm(lua_State *L, lua_State *co)
{
  cp_sandbox *sb = cp_sandbox_of(co);
  if (sb->resumes >= CP_SANDBOX_RESUMES)
    luaL_error(L, "coroutines nested deeper than %d (a resume or close inside another's)",
               CP_SANDBOX_RESUMES);
  sb->resumes++;
  int count = sb->tripped ? 1 : HOOK_EVERY;
  lua_State *prev = sb->running;
  if (!sb->active)
    lua_sethook(co, NULL, 0, 0);
  else if (lua_gethook(co) != budget_hook || lua_gethookmask(co) != sb->hook_mask ||
           lua_gethookcount(co) != count)   /* a coroutine's count carries on */
    lua_sethook(co, budget_hook, sb->hook_mask, count);
  sb->running = co;
  return prev;
}

int cp_sandbox_tripped(const cp_sandbox *sb)
{
  return sb->tripped;
}

void cp_sandbox_left(lua_State *L, lua_State *prev)
{
  cp_sandbox_of(L)->resumes--;
  cp_sandbox_of(L)->running = prev;
  cp_sandbox_recheck(L);
}

void cp_sandbox_budget(cp_sandbox *sb, uint64_t instructions)
{
  sb->budget = instructions;
  sb->spent = 0;
  sb->tripped = 0;
  sb->where[0] = '\0';
  sb->running = NULL;
  sb->resumes = 0;
  sb->deadline = 0;   /* read at the first hook (past_deadline) */
  sb->hook_mask = LUA_MASKCOUNT | (sb->watch.line ? LUA_MASKLINE : 0);
  lua_sethook(sb->L, budget_hook, sb->hook_mask, HOOK_EVERY);
}

void cp_sandbox_set_watch(cp_sandbox *sb, const cp_sandbox_watch *w)
{
  sb->watch = *w;
}

void cp_sandbox_set_user(cp_sandbox *sb, void *user)
{
  sb->user = user;
}

void *cp_sandbox_user(const cp_sandbox *sb)
{
  return sb->user;
}

size_t cp_sandbox_memory(const cp_sandbox *sb)
{
  return sb->used;
}

lua_State *cp_sandbox_state(cp_sandbox *sb)
{
  return sb->L;
}

void cp_sandbox_env(cp_sandbox *sb)
{
  lua_rawgeti(sb->L, LUA_REGISTRYINDEX, sb->env_ref);
}

void cp_sandbox_set_rules_dir(cp_sandbox *sb, const char *dir, const char *name)
{
  snprintf(sb->rules_dir, sizeof sb->rules_dir, "%s", dir);
  snprintf(sb->rules_name, sizeof sb->rules_name, "%s", name);
}

/* Copies the allowed names of library lib (a table at idx) into a new
 * read-only table left on the stack, with charging functions (sblib.c). */
static void filtered_lib(lua_State *L, int idx, const char *lib, const char *names)
{
  size_t n;
  lua_newtable(L);
  for (const char *w; (w = cp_words_next(&names, &n));) {
    lua_pushlstring(L, w, n);
    lua_pushvalue(L, -1);
    lua_rawget(L, idx);
    lua_rawset(L, -3);
  }
  cp_sblib_wrap(L, lib, lua_gettop(L));
  cp_freeze(L, -1);
  lua_remove(L, -2);
}

/* What print() wrote and dropped in this process: the bound is per run,
 * counted in client order (a worker's lines are counted by the writer,
 * cp_sandbox_print_carried()). */
static atomic_size_t printed, dropped;
static atomic_int open_sandboxes;

/* print(...): writes its arguments to stderr, tab-separated, one line per
 * call, as every message is written (control characters and bytes that are
 * not UTF-8 as \xNN: a fact text cannot forge a line or move the cursor),
 * until PRINT_LIMIT bytes were written in the run; later lines are dropped
 * (cp_sandbox_close() says how much). A line counts its arguments' bytes,
 * one per argument and the prefix, before they are escaped. A --jobs
 * worker's sandbox (cp_sandbox_carry_prints()) keeps the line in the
 * client's outcome instead, for the writer to write in client order; it
 * keeps no line that the cap drops whatever the clients before it print:
 * one past PRINT_LIMIT counted from what the writer has counted so far and
 * from the client's own earlier lines. */
static int sb_print(lua_State *L)
{
  int n = lua_gettop(L);
  size_t len = sizeof "crmpolicy: print: " - 1, l;
  cp_sandbox *sb = cp_sandbox_of(L);
  cp_outcome *o = sb->print_to;
  if (sb->carry && !o)   /* a worker loading the rules: the writer's sandbox printed that */
    return 0;
  luaL_checkstack(L, n, "too many arguments to print");
  for (int i = 1; i <= n; i++) {   /* their texts, at n + 1 ... 2n */
    luaL_tolstring(L, i, &l);
    len += l + 1;
  }
  if (sb->carry) {
    size_t before = atomic_load(&printed) + o->print_counted;
    o->print_counted += len;
    if (before + len > PRINT_LIMIT)   /* the writer counts it as dropped */
      return 0;
  } else {
    size_t before = atomic_fetch_add(&printed, len);
    if (before + len > PRINT_LIMIT) {   /* dropped before any is escaped */
      atomic_fetch_add(&dropped, len);
      return 0;
    }
  }
  sbuf b = {0};
  cp_sbuf_add(&b, "crmpolicy: print: ");
  for (int i = 1; i <= n; i++) {
    const char *s = lua_tolstring(L, n + i, &l);
    cp_sbuf_term_str(&b, s, l);
    cp_sbuf_add(&b, i < n ? "\t" : "");
  }
  cp_sbuf_add(&b, "\n");
  if (b.oom || (sb->carry && cp_outcome_print(o, b.s, b.len, len) != CP_OK)) {
    cp_sbuf_free(&b);
    return cp_sandbox_nomem(L);
  }
  if (!sb->carry)
    fwrite(b.s, 1, b.len, stderr);
  cp_sbuf_free(&b);
  return 0;
}

void cp_sandbox_carry_prints(cp_sandbox *sb)
{
  sb->carry = 1;
}

void cp_sandbox_print_to(cp_sandbox *sb, cp_outcome *o)
{
  sb->print_to = o;
}

void cp_sandbox_print_carried(const cp_outcome *o)
{
  const char *s = o->prints.s;
  size_t at = 0, kept = 0;
  for (size_t i = 0; i < o->n_prints; i++) {
    const char *end = memchr(s + at, '\n', o->prints.len - at);
    size_t n = end ? (size_t)(end - (s + at)) + 1 : o->prints.len - at, len = o->print_counts[i];
    size_t before = atomic_fetch_add(&printed, len);
    if (before + len > PRINT_LIMIT)
      atomic_fetch_add(&dropped, len);
    else
      fwrite(s + at, 1, n, stderr);
    kept += len;
    at += n;
  }
  if (o->print_counted > kept) {   /* the lines the worker did not keep */
    atomic_fetch_add(&printed, o->print_counted - kept);
    atomic_fetch_add(&dropped, o->print_counted - kept);
  }
}

/* collectgarbage("count"): the heap in KiB; every other option is refused. */
static int sb_collectgarbage(lua_State *L)
{
  const char *opt = luaL_optstring(L, 1, "count");
  if (strcmp(opt, "count") != 0)
    return luaL_error(L, "collectgarbage('%s') is not allowed in rules", opt);
  lua_pushnumber(L, (lua_Number)cp_sandbox_of(L)->used / 1024.0);
  return 1;
}

/* setmetatable(t, mt) without finalizers: a __gc would run whenever the
 * collector runs, outside any rule's instruction budget. A read-only mt (a
 * module's frozen class table) is copied, one level: Lua reads metamethods
 * raw, and a view has none of its own. */
static int sb_setmetatable(lua_State *L)
{
  if (lua_istable(L, 2) && lua_getfield(L, 2, "__gc") != LUA_TNIL)
    return luaL_error(L, "setmetatable: __gc finalizers are not allowed in rules");
  lua_settop(L, 2);
  if (lua_istable(L, 2) && cp_freeze_behind(L, 2)) {
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, 3)) {
      cp_sandbox_charge(L, 1);   /* one per entry copied, as table.move: a large class in a
                                  * loop is work in C that no instruction counts */
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, 4);
    }
    lua_replace(L, 2);
    lua_settop(L, 2);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 2, 1);
  return 1;
}

/* Builds the base environment from the allow-list into the registry. */
static void build_env(cp_sandbox *sb)
{
  lua_State *L = sb->L;
  lua_newtable(L);   /* the environment */
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  for (size_t i = 0; i < sizeof allow_list / sizeof allow_list[0]; i++) {
    const struct allow *a = &allow_list[i];
    if (strcmp(a->lib, LUA_GNAME) == 0) {
      size_t n;
      const char *p = a->names;
      for (const char *w; (w = cp_words_next(&p, &n));) {
        lua_pushlstring(L, w, n);
        lua_pushvalue(L, -1);
        lua_rawget(L, -3);
        lua_rawset(L, -4);
      }
      continue;
    }
    lua_getfield(L, -1, a->lib);
    filtered_lib(L, lua_gettop(L), a->lib, a->names);
    lua_setfield(L, -4, a->lib);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  cp_sblib_wrap(L, LUA_GNAME, lua_gettop(L));
  lua_pushcfunction(L, sb_print);
  lua_setfield(L, -2, "print");
  lua_pushcfunction(L, sb_collectgarbage);
  lua_setfield(L, -2, "collectgarbage");
  lua_getfield(L, -1, "setmetatable");
  lua_pushcclosure(L, sb_setmetatable, 1);
  lua_setfield(L, -2, "setmetatable");
  cp_freeze_register(L, -1);    /* next, rawget, rawlen that see through views */
  cp_freeze_view(L, -1);        /* _G: the shared environment, read-only */
  lua_setfield(L, -2, "_G");
  sb->env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Gives strings a protected metatable whose __index is the read-only string
 * library, so that no rule can change what ("x"):upper() means for others. */
static void protect_strings(cp_sandbox *sb)
{
  lua_State *L = sb->L;
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  cp_sandbox_env(sb);
  lua_getfield(L, -1, "string");
  lua_setfield(L, -3, "__index");
  lua_pop(L, 1);
  cp_sblib_wrap(L, "string metatable", lua_gettop(L));
  cp_freeze_protect(L, -1);
  lua_pop(L, 2);
}

int cp_sandbox_has_place(const char *msg)
{
  const char *colon = strchr(msg, ':');
  if (!colon || colon == msg || colon[1] < '0' || colon[1] > '9')
    return 0;
  const char *p = colon + 1;
  while (*p >= '0' && *p <= '9')
    p++;
  return *p == ':';
}

/* Message handler: appends a traceback to the error message, which is cut
 * to MESSAGE_MAX bytes (a rule may raise a string of any size). */
static int msgh(lua_State *L)
{
  size_t len = 0;
  const char *msg = lua_tolstring(L, 1, &len);
  if (!msg) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      msg = lua_tolstring(L, -1, &len);
    else
      msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  if (len > MESSAGE_MAX) {
    lua_pushlstring(L, msg, MESSAGE_MAX);
    msg = lua_pushfstring(L, "%s... (%I bytes)", lua_tostring(L, -1), (lua_Integer)len);
  }
  if (!cp_sandbox_has_place(msg)) {   /* error("x", 0), error({}), a yield or overflow met in C ... */
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++)
      if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {   /* the innermost Lua code */
        msg = lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, msg);
        break;
      }
  }
  luaL_traceback(L, L, msg, 1);
  cp_sandbox *sb = cp_sandbox_of(L);
  if (sb->tripped && !*sb->where)   /* spent by growing the heap, in C: no hook has run since */
    trip(sb, L);
  return 1;
}

/* Pushes "file:line: instruction budget of N exceeded", the place where
 * the budget ran out. */
static void push_budget_message(lua_State *L, const cp_sandbox *sb)
{
  lua_pushfstring(L, "%s%sinstruction budget of %I exceeded", sb->where, *sb->where ? " " : "",
                  (lua_Integer)sb->budget);
}

void cp_sandbox_push_handler(cp_sandbox *sb)
{
  lua_pushcfunction(sb->L, msgh);
}

/* Turns a failed call's error at the top of the stack into "message" and
 * "traceback" strings. */
static void failed(cp_sandbox *sb, int status)
{
  lua_State *L = sb->L;
  const char *full = lua_tostring(L, -1);
  if (sb->tripped) {   /* whatever the rule made of the error, this is what happened */
    const char *tb = full ? strstr(full, "\nstack traceback:") : NULL;
    size_t tlen = tb ? strlen(tb + 1) : 0;
    push_budget_message(L, sb);
    lua_pushlstring(L, tb ? tb + 1 : "", tlen < TRACEBACK_MAX ? tlen : TRACEBACK_MAX);
    lua_remove(L, -3);
  } else if (status == LUA_ERRMEM || !full) {
    lua_pop(L, 1);
    if (sb->sys_oom)   /* the machine refused memory: not the rule's doing */
      lua_pushliteral(L, "out of memory (the process's, not the Lua heap's cap)");
    else
      lua_pushfstring(L, "not enough memory (the Lua heap is capped at %d MiB)",
                      (int)(sb->limit >> 20));
    lua_pushliteral(L, "");
  } else {
    const char *tb = strstr(full, "\nstack traceback:");
    lua_pushlstring(L, full, tb ? (size_t)(tb - full) : strlen(full));
    size_t tlen = tb ? strlen(tb + 1) : 0;
    lua_pushlstring(L, tb ? tb + 1 : "", tlen < TRACEBACK_MAX ? tlen : TRACEBACK_MAX);
    lua_remove(L, -3);
  }
  lua_gc(L, LUA_GCCOLLECT);
}

int cp_sandbox_call_with(cp_sandbox *sb, int nargs, int nresults, int handler)
{
  int was = sb->in_call;
  if (!was)
    sb->sys_oom = 0;
  sb->in_call = 1;   /* the cap holds, without the host's reserve */
  sb->active = 1;    /* from here to the end of the call, work is the rule's */
  int status = lua_pcall(sb->L, nargs, nresults, handler);
  sb->active = 0;
  sb->in_call = was;
  if (status != LUA_OK) {
    lua_sethook(sb->L, NULL, 0, 0);
    failed(sb, status);
  }
  return status;
}

int cp_sandbox_call(cp_sandbox *sb, int nargs, int nresults)
{
  lua_State *L = sb->L;
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, msgh);
  lua_insert(L, base);
  int status = cp_sandbox_call_with(sb, nargs, nresults, base);
  lua_remove(L, base);
  lua_sethook(L, NULL, 0, 0);
  return status;
}

int cp_sandbox_hold_cap(cp_sandbox *sb, int on)
{
  int was = sb->in_call;
  sb->in_call = on;
  return was;
}

int cp_sandbox_lift_cap(cp_sandbox *sb, int on)
{
  int was = sb->uncapped;
  sb->uncapped = on;
  return was;
}

void cp_sandbox_unhook(cp_sandbox *sb)
{
  sb->active = 0;
  lua_sethook(sb->L, NULL, 0, 0);
}

void cp_sandbox_mark_baseline(cp_sandbox *sb)
{
  lua_gc(sb->L, LUA_GCCOLLECT);
  sb->hold_mark = sb->used < sb->limit ? sb->used + (sb->limit - sb->used) / 2 : sb->limit;
}

size_t cp_sandbox_held(cp_sandbox *sb)
{
  if (!sb->hold_mark || sb->used <= sb->hold_mark)   /* the honest case: one comparison */
    return 0;
  lua_gc(sb->L, LUA_GCCOLLECT);
  return sb->used > sb->hold_mark ? sb->used : 0;
}

size_t cp_sandbox_hold_mark(const cp_sandbox *sb)
{
  return sb->hold_mark;
}

int cp_sandbox_out_of_memory(const cp_sandbox *sb)
{
  return sb->sys_oom;
}

int cp_sandbox_nomem(lua_State *L)
{
  cp_sandbox_of(L)->sys_oom = 1;
  return luaL_error(L, "not enough memory");
}

size_t cp_sandbox_limit(const cp_sandbox *sb)
{
  return sb->limit;
}

/* Panic handler: Lua calls it for an error raised outside any protected
 * call, which the engine does not do by design (host reads of rule values run
 * in protected calls, and the host's own allocations have a reserve), so this
 * is an engine bug, unless the process's memory ran out (malloc refused the
 * host's own Lua work: said as such). It cannot return (Lua would then abort()), and no frame
 * of main can be reached from here, so it leaves the process at once with
 * _Exit(3), the README's "runtime failure: nothing was written": the state
 * database's transaction is not committed (SQLite rolls it back when the
 * state is next opened), and buffered output is dropped, not flushed half. */
static int sb_panic(lua_State *L)
{
  const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(no message)";
  if (cp_sandbox_of(L)->sys_oom || !strcmp(msg, "not enough memory")) {
    /* not a bug: the machine's memory ran out under the host's own Lua work */
    fputs("crmpolicy: out of memory; nothing was written\n", stderr);
    _Exit(3);
  }
  fprintf(stderr, "crmpolicy: internal error: a Lua error outside a protected call: %.*s; "
          "nothing was written\n", MESSAGE_MAX, msg);
  fflush(stderr);
  _Exit(3);
}

/* Reads a whole regular file into a malloc'd buffer; NULL with errno on
 * failure (EISDIR for a folder, EINVAL for anything else that is not a
 * regular file: a FIFO would block, a folder would ask for 2^63 bytes),
 * EFBIG for a file of more than max bytes. */
static char *read_file(const char *path, size_t *len, size_t max)
{
  struct stat st;
  FILE *f = NULL;
  char *buf = NULL;
  long n;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
  else
    f = fopen(path, "rb");
  if (!f)
    return NULL;
  if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {   /* replaced in between */
    fclose(f);
    errno = EINVAL;
    return NULL;
  }
  if ((uint64_t)st.st_size > max) {   /* read whole, outside the heap's cap */
    fclose(f);
    errno = EFBIG;
    return NULL;
  }
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
    *len = (size_t)n;
    fclose(f);
    return buf;
  }
  free(buf);
  if (!errno)
    errno = EIO;
  fclose(f);
  return NULL;
}

/* Pushes a new file environment on L: reads fall through to the base
 * environment; its metatable is protected. Registers it for
 * cp_sandbox_lock(). */
static void push_file_env(cp_sandbox *sb, lua_State *L)
{
  lua_newtable(L);
  lua_createtable(L, 0, 2);
  lua_rawgeti(L, LUA_REGISTRYINDEX, sb->env_ref);   /* cp_sandbox_env() pushes on sb->L */
  lua_setfield(L, -2, "__index");
  cp_freeze_protect(L, -1);
  lua_setmetatable(L, -2);
  lua_rawgeti(L, LUA_REGISTRYINDEX, sb->files_ref);
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  lua_pop(L, 1);
}

/* A chunk's text handed to the parser one line at a time, so that a parser
 * error that names no line (its nesting limit: "C stack overflow") can be
 * given the line it was reading. */
typedef struct {
  const char *p, *end;   /* what is left to hand out */
  int line;              /* the line of the last piece handed out (1-based) */
} line_reader;

static const char *read_line(lua_State *L, void *ud, size_t *size)
{
  (void)L;
  line_reader *r = ud;
  if (r->p >= r->end) {
    *size = 0;
    return NULL;
  }
  const char *start = r->p, *nl = memchr(start, '\n', (size_t)(r->end - start));
  r->p = nl ? nl + 1 : r->end;
  r->line++;
  *size = (size_t)(r->p - start);
  return start;
}

/* Loads path as a text chunk named "@name" with its own environment and
 * leaves the function on the stack of L (the thread that asks: a require in
 * a coroutine is not the main thread's). Returns LUA_OK, or an error status
 * with the message on the stack. */
static int load_chunk(cp_sandbox *sb, lua_State *L, const char *path, const char *name)
{
  size_t len;
  char chunk[512];
  char *text = read_file(path, &len, sb->limit);
  if (!text) {
    int err = errno;
    char fds[256];
    sb->fd_limit = cp_diag_fd_limit(err, fds, sizeof fds);   /* the machine's limit: exit 3 */
    sb->sys_oom = err == ENOMEM;                               /* the machine's memory: exit 3 */
    lua_pushfstring(L, "%s: cannot read: %s", name,
                    sb->fd_limit ? fds
                    : err == EINVAL ? "not a regular file"
                    : err == EFBIG ? "larger than the Lua heap's cap (limits.memory_mb)"
                    : strerror(err));
    return LUA_ERRFILE;
  }
  if (len > 0 && text[0] == LUA_SIGNATURE[0]) {   /* Lua's own message names no file */
    free(text);
    lua_pushfstring(L, "%s: is a precompiled (binary) chunk; rule files load as text only",
                    name);
    return LUA_ERRSYNTAX;
  }
  snprintf(chunk, sizeof chunk, "@%s", name);
  size_t bom = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;   /* editors on Windows */
  size_t from = bom;
  if (from < len && text[from] == '#')   /* "#!/usr/bin/env lua": skipped, as lua skips it; */
    while (from < len && text[from] != '\n')   /* its newline kept, so lines count from 1 */
      from++;
  line_reader r = {text + from, text + len, 0};
  int status = lua_load(L, read_line, &r, chunk, "t");
  if (status != LUA_OK)
    free(text);
  if (status != LUA_OK && lua_type(L, -1) == LUA_TSTRING &&
      strncmp(lua_tostring(L, -1), name, strlen(name)) != 0) {
    /* a parser limit ("C stack overflow": nesting too deep) names no file
     * nor line: the line is the one the parser was reading */
    lua_pushfstring(L, "%s:%d: %s%s", name, r.line > 0 ? r.line : 1, lua_tostring(L, -1),
                    strstr(lua_tostring(L, -1), "overflow") ? " (nested too deeply?)" : "");
    lua_remove(L, -2);
  }
  if (status != LUA_OK)
    return status;
  push_file_env(sb, L);
  lua_setupvalue(L, -2, 1);
  if (sb->watch.loaded)
    sb->watch.loaded(sb->watch.ctx, L, name, text + bom, len - bom);
  free(text);
  return LUA_OK;
}

/* Returns 1 when name is a module name: words of [A-Za-z0-9_] joined by dots. */
static int valid_module(const char *name)
{
  int word = 0;
  for (const char *p = name; *p; p++) {
    if (*p == '.') {
      if (!word)
        return 0;
      word = 0;
    } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
               (*p >= '0' && *p <= '9') || *p == '_') {
      word = 1;
    } else {
      return 0;
    }
  }
  return word;
}

/* Resolves path (symbolic links and "..") into real; raises an error when it
 * cannot be read or lies outside the real rules folder: a link must not lead
 * require out of it. shown names the module's file in messages. */
static void confine(lua_State *L, const cp_sandbox *sb, const char *path, const char *shown,
                    char real[PATH_MAX])
{
  char dir[PATH_MAX];
  if (!realpath(path, real))
    luaL_error(L, "%s: cannot read: %s", shown, strerror(errno));
  if (!realpath(sb->rules_dir, dir))
    luaL_error(L, "require: the rules folder %s: %s", sb->rules_name, strerror(errno));
  size_t n = strlen(dir);
  if (strncmp(real, dir, n) != 0 || (real[n] != '/' && strcmp(dir, "/") != 0))
    luaL_error(L, "require: %s resolves to %s, outside the rules folder %s (%s); modules "
               "must be inside it", shown, real, sb->rules_name, dir);
}

/* What the modules loaded by require hold for a module while its file
 * runs: a require of it meanwhile is a cycle. */
static char loading_mark;

/* __close of the guard that sb_require keeps while a module's file runs
 * (a table holding the module's name): unmarks the module when its file
 * failed, so that a later require tries it again instead of calling it a
 * cycle. */
static int loading_done(lua_State *L)
{
  cp_sandbox *sb = cp_sandbox_of(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, sb->loaded_ref);
  lua_rawgeti(L, 1, 1);
  lua_pushvalue(L, -1);
  if (lua_rawget(L, -3) == LUA_TLIGHTUSERDATA && lua_touserdata(L, -1) == &loading_mark) {
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_rawset(L, -3);
  }
  return 0;
}

/* require(name): loads rules/<name with dots as slashes>.lua once, as text,
 * under the same limits as a rule file, and returns what it returns. */
static int sb_require(lua_State *L)
{
  cp_sandbox *sb = cp_sandbox_of(L);
  size_t len;
  const char *name = luaL_checklstring(L, 1, &len);
  char rel[512], path[1600];
  lua_settop(L, 1);   /* require("m", t): the modules' table must be at 2, never t */
  lua_rawgeti(L, LUA_REGISTRYINDEX, sb->loaded_ref);
  if (strlen(name) == len && lua_getfield(L, -1, name) != LUA_TNIL) {
    if (lua_touserdata(L, -1) == &loading_mark)   /* Lua's own require recurses until the C stack overflows */
      return luaL_error(L, "require: '%s' is required again while its own file runs (a require "
                        "cycle: modules that require each other, directly or through others)",
                        name);
    return 1;
  }
  if (strlen(name) != len)
    return luaL_error(L, "require: the module name '%s\\0...' holds a NUL byte", name);
  if (!valid_module(name))
    return luaL_error(L, "require: '%s' is not a module name (words joined by dots, "
                      "found in %s/)", name, sb->rules_name);
  if (sb->locked)
    return luaL_error(L, "require: '%s' was not loaded when the rule files were; "
                      "require modules at the top of a rule file", name);
  if (len + 5 > sizeof rel) {   /* with ".lua": it would be cut, and name another file */
    char head[48];
    snprintf(head, sizeof head, "%.40s", name);
    return luaL_error(L, "require: the module name '%s...' is %d bytes long; at most %d", head,
                      (int)len, (int)sizeof rel - 5);
  }
  snprintf(rel, sizeof rel, "%s", name);
  for (char *p = rel; *p; p++)
    if (*p == '.')
      *p = '/';
  snprintf(path, sizeof path, "%s/%s.lua", sb->rules_dir, rel);
  snprintf(rel + strlen(rel), sizeof rel - strlen(rel), ".lua");
  char shown[800], real[PATH_MAX];
  snprintf(shown, sizeof shown, "%s/%s", sb->rules_name, rel);
  confine(L, sb, path, shown, real);
  if (lua_getfield(L, 2, real) == LUA_TSTRING && *lua_tostring(L, -1) == '!')   /* a rule file */
    return luaL_error(L, "require: '%s' is %s, a rule file of the config (under rules:): the "
                      "config runs a rule file once, and a require would run it again; put what "
                      "both files share in a module, such as %s/lib/%s, and require that",
                      name, shown, sb->rules_name, rel);
  lua_pop(L, 1);
  if (load_chunk(sb, L, real, shown) != LUA_OK)
    return lua_error(L);
  luaL_where(L, 1);   /* where the file was required ("a.lua:1: "), should the config list it */
  size_t at = lua_rawlen(L, -1);
  const char *where = lua_tostring(L, -1);
  while (at && (where[at - 1] == ' ' || where[at - 1] == ':'))
    at--;
  lua_pushfstring(L, "by the require at %s", at ? lua_pushlstring(L, where, at) : "?");
  lua_setfield(L, 2, real);
  lua_pop(L, at ? 2 : 1);
  lua_createtable(L, 1, 0);   /* the guard: unmarks the module should its file fail */
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, 1);
  if (luaL_newmetatable(L, "crmpolicy.require_guard")) {
    lua_pushcfunction(L, loading_done);
    lua_setfield(L, -2, "__close");
  }
  lua_setmetatable(L, -2);
  lua_toclose(L, -1);
  lua_pushlightuserdata(L, &loading_mark);
  lua_setfield(L, 2, name);   /* loaded[name], replaced below once the file has run */
  lua_pushvalue(L, -2);   /* the chunk */
  lua_call(L, 0, 1);
  lua_replace(L, -3);   /* over the chunk: the guard's slot does not move */
  lua_closeslot(L, -1);
  lua_pop(L, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  cp_freeze(L, -1);   /* the files that require it share it */
  lua_replace(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, -4, name);
  return 1;
}

/* Returns 1 when traceback tb shows a Lua function called from a file's
 * top level (an error in a library's function): the message's place alone
 * (the main chunk, or a declaration such as rule{} called there) does not
 * say how it got there. */
static int tells_more(const char *tb)
{
  const char *line = strchr(tb, '\n');   /* past "stack traceback:" */
  while (line) {
    line++;
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    int in_c = strncmp(line, "\t[C]:", 5) == 0 || strncmp(line, "\t(", 2) == 0;
    int main_chunk = len >= 13 && memcmp(line + len - 13, "in main chunk", 13) == 0;
    if (!in_c && !main_chunk)
      return 1;
    line = end;
  }
  return 0;
}

/* Prints traceback tb to stderr for a terminal: each of its lines (a new
 * line is "\n\t", as luaL_traceback writes them) as cp_sbuf_term_str()
 * writes a message, so that a function or file name holding an escape
 * sequence or a newline can neither drive the terminal nor forge a line. */
static void print_traceback(const char *tb)
{
  sbuf b = {0};
  for (const char *line = tb;;) {
    const char *end = strstr(line, "\n\t");
    size_t len = end ? (size_t)(end - line) : strlen(line);
    if (line != tb)
      cp_sbuf_add(&b, "\t");
    cp_sbuf_term_str(&b, line, len);
    cp_sbuf_add(&b, "\n");
    if (!end)
      break;
    line = end + 2;
  }
  if (!b.oom)
    fwrite(b.s ? b.s : "", 1, b.len, stderr);
  cp_sbuf_free(&b);
}

/* Keeps the real path of rule file `path` among the files run so far (the
 * modules' table, under a key that no module name can be: it starts with
 * '/'). Fails when a require ran it already: it would declare its rules
 * twice. */
static cp_err mark_rule_file(cp_sandbox *sb, const char *path, const char *name)
{
  lua_State *L = sb->L;
  char real[PATH_MAX];
  if (!realpath(path, real))
    return CP_OK;   /* load_chunk says why it cannot be read */
  lua_rawgeti(L, LUA_REGISTRYINDEX, sb->loaded_ref);
  if (lua_getfield(L, -1, real) == LUA_TSTRING && *lua_tostring(L, -1) != '!') {
    cp_err rc = cp_diag_fail(CP_ERULES, "%s: this rule file of the config was required already "
                             "(%s): the config runs a rule file once, and the require "
                             "ran it too; put what both files share in a module, such as "
                             "%s/lib/<name>.lua, and require that", name, lua_tostring(L, -1),
                             sb->rules_name);
    lua_pop(L, 2);
    return rc;
  }
  lua_pop(L, 1);
  lua_pushliteral(L, "!");   /* a rule file: see sb_require */
  lua_setfield(L, -2, real);
  lua_pop(L, 1);
  return CP_OK;
}

cp_err cp_sandbox_load_file(cp_sandbox *sb, const char *path, const char *name)
{
  lua_State *L = sb->L;
  cp_err marked = mark_rule_file(sb, path, name);
  if (marked != CP_OK)
    return marked;
  sb->sys_oom = 0;
  int status = load_chunk(sb, sb->L, path, name);
  if (status != LUA_OK && sb->sys_oom) {   /* the process, not the file: a runtime failure */
    lua_pop(L, 1);
    return cp_diag_fail(CP_ENOMEM, "%s: out of memory while loading it", name);
  }
  if (status == LUA_OK) {
    cp_sandbox_budget(sb, sb->budget ? sb->budget : UINT64_MAX);
    status = cp_sandbox_call(sb, 0, 0);
    if (status == LUA_OK)
      return CP_OK;
    if (sb->sys_oom) {
      lua_pop(L, 2);
      return cp_diag_fail(CP_ENOMEM, "%s: out of memory while running its top level", name);
    }
    cp_err rc = cp_diag_fail(CP_ERULES, "%s%s", lua_tostring(L, -2),   /* which call's budget */
                             sb->tripped ? " (the file's top level, when it loaded)" : "");
    if (tells_more(lua_tostring(L, -1)))
      print_traceback(lua_tostring(L, -1));
    lua_pop(L, 2);
    return rc;
  }
  cp_err rc = cp_diag_fail(sb->fd_limit ? CP_EIO : CP_ERULES, "%s", lua_tostring(L, -1));
  lua_pop(L, 1);
  return rc;
}

/* Pushes a new table holding what a read of a locked file environment whose
 * own globals are in the table at hidden finds: the base environment's
 * names, then the file's own (which shadow them). Neither changes once the
 * environments are locked, so the view's __index may be this table: a read
 * of a base name (dt, alert, ipairs) is then one table read instead of two.
 * pairs, next, rawget and rawlen still see the file's own globals only (the
 * view's table behind is hidden). */
static void push_merged(cp_sandbox *sb, int hidden)
{
  lua_State *L = sb->L;
  hidden = lua_absindex(L, hidden);
  lua_newtable(L);
  for (int src = 0; src < 2; src++) {
    if (src == 0)
      cp_sandbox_env(sb);
    else
      lua_pushvalue(L, hidden);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -5);
    }
    lua_pop(L, 1);
  }
}

void cp_sandbox_lock(cp_sandbox *sb)
{
  lua_State *L = sb->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, sb->files_ref);
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);            /* env */
    lua_newtable(L);                  /* hidden: takes env's contents */
    lua_pushnil(L);
    while (lua_next(L, -3)) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -4);
    }
    lua_pushnil(L);                   /* empty env */
    while (lua_next(L, -3)) {
      lua_pop(L, 1);
      lua_pushvalue(L, -1);
      lua_pushnil(L);
      lua_rawset(L, -5);
    }
    lua_createtable(L, 0, 1);         /* hidden falls through to the base */
    cp_sandbox_env(sb);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_getmetatable(L, -2);          /* env: a view of hidden */
    cp_freeze_view_meta(L, -1, -2);
    push_merged(sb, -2);              /* whose reads take one step, not two */
    lua_setfield(L, -2, "__index");
    lua_pop(L, 3);
  }
  lua_pop(L, 1);
  sb->locked = 1;
}

cp_sandbox *cp_sandbox_open(size_t memory)
{
  cp_sandbox *sb = calloc(1, sizeof *sb);
  if (!sb)
    return NULL;
  sb->limit = memory;
  sb->budget = UINT64_MAX;   /* no limit until cp_sandbox_budget() sets one */
  sb->deadline = UINT64_MAX;
  snprintf(sb->rules_dir, sizeof sb->rules_dir, "rules");
  snprintf(sb->rules_name, sizeof sb->rules_name, "rules");
  sb->L = lua_newstate(sb_alloc, sb);
  if (!sb->L) {
    free_small(sb);
    free(sb);
    return NULL;
  }
  *(cp_sandbox **)lua_getextraspace(sb->L) = sb;
  lua_atpanic(sb->L, sb_panic);
  atomic_fetch_add(&open_sandboxes, 1);
  for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
    luaL_requiref(sb->L, libs[i].name, libs[i].func, 1);
    lua_pop(sb->L, 1);
  }
  lua_gc(sb->L, LUA_GCGEN, 0, 0);   /* per-client garbage dies young */
  build_env(sb);
  protect_strings(sb);
  lua_newtable(sb->L);
  sb->files_ref = luaL_ref(sb->L, LUA_REGISTRYINDEX);
  lua_newtable(sb->L);
  sb->loaded_ref = luaL_ref(sb->L, LUA_REGISTRYINDEX);
  cp_sandbox_env(sb);
  lua_pushcfunction(sb->L, sb_require);
  lua_setfield(sb->L, -2, "require");
  lua_pop(sb->L, 1);
  return sb;
}

void cp_sandbox_close(cp_sandbox *sb)
{
  if (!sb)
    return;
  lua_close(sb->L);
  free_small(sb);
  free(sb);
  if (atomic_fetch_sub(&open_sandboxes, 1) == 1 && atomic_load(&dropped)) {
    fprintf(stderr, "crmpolicy: print: output cut after %u bytes: %zu more bytes of print() "
            "output were dropped\n", PRINT_LIMIT, atomic_load(&dropped));
    atomic_store(&dropped, 0);
    atomic_store(&printed, 0);
  } else if (atomic_load(&open_sandboxes) == 0) {
    atomic_store(&printed, 0);
  }
}
