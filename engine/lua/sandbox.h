/* sandbox.h: a Lua 5.4 state for untrusted rule text: allow-listed libraries,
 * text-only loading, a memory cap, an instruction budget, read-only globals. */
#ifndef CP_SANDBOX_H
#define CP_SANDBOX_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

typedef struct cp_sandbox cp_sandbox;
struct cp_outcome;

/* Creates a sandboxed state with a heap cap of memory bytes. The base
 * environment holds only the allow-listed names; callers add their API with
 * cp_sandbox_env(). Returns NULL when out of memory. Free with
 * cp_sandbox_close(). */
cp_sandbox *cp_sandbox_open(size_t memory);

/* Closes the state; accepts NULL. The last one open in the process says
 * how many bytes of print() the run's cap dropped, if any. */
void cp_sandbox_close(cp_sandbox *sb);

/* From now on, print() keeps its lines in the outcome set by
 * cp_sandbox_print_to() instead of writing them (lines printed while none is
 * set are dropped: a --jobs worker loading the rule files, which the
 * writer's sandbox has loaded and printed already). Call it before loading
 * the rule files (cp_rules_watch's sandbox hook). */
void cp_sandbox_carry_prints(cp_sandbox *sb);

/* Sets the outcome of the client being evaluated (NULL: none), which keeps
 * print()'s lines once cp_sandbox_carry_prints() was called. */
void cp_sandbox_print_to(cp_sandbox *sb, struct cp_outcome *o);

/* Writes the lines an outcome carries (cp_sandbox_carry_prints()) to stderr,
 * counted against the run's print() cap as if printed now: the writer calls
 * it for each outcome in client order, so that the lines and the cut are
 * those of one sandbox evaluating the clients in order. */
void cp_sandbox_print_carried(const struct cp_outcome *o);

/* The Lua state (owned by the sandbox). */
lua_State *cp_sandbox_state(cp_sandbox *sb);

/* Returns the sandbox of a Lua state made by cp_sandbox_open(). */
cp_sandbox *cp_sandbox_of(lua_State *L);

/* Pushes the shared base environment table (where the API is registered). */
void cp_sandbox_env(cp_sandbox *sb);

/* Sets the folder that `require` may load from: dir to open files, name to
 * show in chunk names ("rules"). A module whose real path (symbolic links
 * resolved) is not inside the real path of dir is refused. */
void cp_sandbox_set_rules_dir(cp_sandbox *sb, const char *dir, const char *name);

/* Loads and runs a rule file as text with chunk name "@name" in an
 * environment of its own, under the budget. Prints "name:line: message" with
 * a traceback and returns CP_ERULES on any failure. */
cp_err cp_sandbox_load_file(cp_sandbox *sb, const char *path, const char *name);

/* Makes every file environment read-only: after this, writing a global is an
 * error. Called once all rule files are loaded. */
void cp_sandbox_lock(cp_sandbox *sb);

/* Starts a fresh budget for the next call: instructions of Lua VM code, plus
 * the instruction-equivalents charged for heap growth and library work
 * (cp_sandbox_charge()), and at most that many microseconds of wall time. */
void cp_sandbox_budget(cp_sandbox *sb, uint64_t instructions);

/* Charges units instruction-equivalents for work that a C function called
 * from Lua is about to do, and raises the budget error when the budget is
 * now spent (or was already). Does nothing outside a budgeted call. */
void cp_sandbox_charge(lua_State *L, uint64_t units);

/* Returns 1 when the budget of the current call is spent. */
int cp_sandbox_tripped(const cp_sandbox *sb);

/* Raises the budget error when the budget of the current call is spent: for
 * functions that catch errors (pcall, coroutine.resume), after they return. */
void cp_sandbox_recheck(lua_State *L);

/* Returns 1 when error message msg starts with a place, "file:line: ". */
int cp_sandbox_has_place(const char *msg);

/* Gives coroutine co the budget hook of the current call (none outside one)
 * before L resumes (or closes) it, and notes it as running. Returns the
 * coroutine noted before, to hand to cp_sandbox_left() once co is back.
 * Raises an error in L when resumes nest deeper than CP_SANDBOX_RESUMES (a
 * close inside a __close handler of a closed coroutine ..., which Lua 5.4.4
 * does not bound: the C stack would overflow). */
lua_State *cp_sandbox_arm(lua_State *L, lua_State *co);

/* How deep resumes and closes of coroutines may nest. */
#define CP_SANDBOX_RESUMES 100

/* Notes prev (from cp_sandbox_arm()) as running again, then does
 * cp_sandbox_recheck() in L. */
void cp_sandbox_left(lua_State *L, lua_State *prev);

/* Calls the function below nargs arguments on the stack in protected mode,
 * with a traceback handler. On error returns the Lua status and leaves
 * "message" and "traceback" strings on the stack (traceback on top); on
 * success leaves nresults results. A budget overrun is reported as such even
 * when the rule caught and replaced the error. The message is cut to 2,000
 * bytes, the traceback to 4,000. The heap cap holds during the call; outside
 * calls (the host's own work) the heap may grow a reserve past it. The state
 * has a panic handler: an error outside any protected call (an engine bug)
 * ends the process with "crmpolicy: internal error: ..." and exit code 3. */
int cp_sandbox_call(cp_sandbox *sb, int nargs, int nresults);

/* Pushes the traceback handler that cp_sandbox_call() puts below a call, for
 * a caller that makes many calls over one handler (each rule of a client). */
void cp_sandbox_push_handler(cp_sandbox *sb);

/* Like cp_sandbox_call(), with the handler pushed before at stack index
 * handler; the budget hook stays set after a successful call (the next
 * cp_sandbox_budget() resets it; cp_sandbox_unhook() removes it). */
int cp_sandbox_call_with(cp_sandbox *sb, int nargs, int nresults, int handler);

/* Removes the budget hook. */
void cp_sandbox_unhook(cp_sandbox *sb);

/* Holds the heap to its cap without the host's reserve when on (as in a
 * protected call), for host work whose result rules then hold: a run value
 * made read-only, which a --jobs worker copies under the cap. Returns the
 * previous setting, to restore. */
int cp_sandbox_hold_cap(cp_sandbox *sb, int on);

/* Lifts the cap (and the budget's charge for growth) when on, for a --jobs
 * worker's copy of a run value that the main state made read-only under
 * the cap: what --jobs 1 accepts, --jobs 2 shares, though the copy needs
 * its source and a map of its tables for a while. Returns the previous
 * setting, to restore. */
int cp_sandbox_lift_cap(cp_sandbox *sb, int on);

/* Collects the garbage and sets the holding mark half-way between the heap
 * in use now (the baseline: rules loaded, run values computed) and the cap. */
void cp_sandbox_mark_baseline(cp_sandbox *sb);

/* After a call: when the heap is above the holding mark, collects it fully
 * and returns the bytes still in use if they stay above it (the call's
 * function holds them between calls); else returns 0. Below the mark (every
 * honest call) it costs one comparison. 0 before cp_sandbox_mark_baseline(). */
size_t cp_sandbox_held(cp_sandbox *sb);

/* The holding mark (0 before cp_sandbox_mark_baseline()). */
size_t cp_sandbox_hold_mark(const cp_sandbox *sb);

/* The heap cap in bytes. */
size_t cp_sandbox_limit(const cp_sandbox *sb);

/* Whether the last call or file load failed because the process's allocator
 * refused memory (the machine's limit), not because the Lua heap reached
 * its cap: a runtime failure, not the rules' or the config's. */
int cp_sandbox_out_of_memory(const cp_sandbox *sb);

/* Raises "not enough memory" in L for a host allocation (not the Lua heap's)
 * that failed during a call, marking the failure as the process's memory
 * (cp_sandbox_out_of_memory). Does not return. */
int cp_sandbox_nomem(lua_State *L);

/* Attaches a pointer for the host's own use (the rule API's context). */
void cp_sandbox_set_user(cp_sandbox *sb, void *user);

/* Returns the pointer given to cp_sandbox_set_user(). */
void *cp_sandbox_user(const cp_sandbox *sb);

/* Bytes the Lua heap uses now. */
size_t cp_sandbox_memory(const cp_sandbox *sb);

/* Watches rule code as it loads and runs (for coverage): line(ctx, source,
 * line) for each new line a Lua function runs ("@rules/x.lua", 12), and
 * loaded(ctx, L, name) after each rule file or module loads, with its main
 * function on top of the stack. NULL members watch nothing. */
typedef struct cp_sandbox_watch {
  void (*line)(void *ctx, const char *source, int line);
  void (*loaded)(void *ctx, lua_State *L, const char *name, const char *text, size_t len);
                            /* a file just loaded, its function on top, its text */
  void *ctx;                /* their context */
} cp_sandbox_watch;

/* Sets what watches the sandbox (a copy is kept). */
void cp_sandbox_set_watch(cp_sandbox *sb, const cp_sandbox_watch *w);

#endif
