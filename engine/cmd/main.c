/* main.c: the crmpolicy command line: one table of subcommands, options,
 * and the mapping from errors to documented exit codes. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dates.h"
#include "lint.h"
#include "query.h"
#include "status.h"
#include "report.h"
#include "words.h"

static cp_exit cmd_alerts(const cp_opts *o);
static cp_exit cmd_assignments(const cp_opts *o);
static cp_exit cmd_status(const cp_opts *o);

/* A subcommand: name, function, the options it takes, and its help. */
typedef struct command {
  const char *name;                  /* as typed */
  cp_exit (*fn)(const cp_opts *o);   /* what it does */
  const char *options;               /* option names it accepts, space-separated */
  const char *help;                  /* one paragraph */
} command;

static const command commands[] = {
  {"init", cp_cmd_init, "bare minimal locale quiet args",
   "Writes a policy project into a new or empty folder (crmpolicy init DIR).\n"
   "It holds crmpolicy.yaml, rules/ (the reference policy; with --bare, one\n"
   "example rule on its facts; with --minimal, one rule on the smallest facts,\n"
   "a clients table and its contacts), tests/ with the fixtures,\n"
   "schema/facts.sql, an empty facts.db\n"
   "made from it, .luarc.json and editor/ for lua-language-server, and a README;\n"
   "'crmpolicy check' and 'crmpolicy test tests' pass in it. The files come from\n"
   "share/crmpolicy beside the binary's folder (or the source tree)."},
  {"run", cp_cmd_run, "config facts state as-of wait quiet jobs strict force replay push profile",
   "Evaluates every client as of a date and applies the results to the state\n"
   "database in one transaction. Exit 0: done; 1: done, some rule errors;\n"
   "2: invalid config, rules or facts; 3: failed; 4: another run holds the state;\n"
   "5: a guard refused the run (an empty clients table, a table come empty, too\n"
   "many clients gone or alerts resolving, an as-of date before the last run's);\n"
   "7: with --push, the run was committed and the push failed (its warning says\n"
   "why)."},
  {"check", cp_cmd_check, "config facts as-of quiet fixtures assignees lint-fatal",
   "Checks that the config is valid, every rule file compiles and the facts\n"
   "database has every declared table and column, and converts the first 1,000\n"
   "rows of each clients and per-client table as a run would, saying their data\n"
   "problems by column. Writes nothing. Then warns\n"
   "about params that rules read but the config lacks; with --fixtures DIR, which\n"
   "it runs quietly, also about params no rule reads and rules no fixture checks.\n"
   "Warnings leave the exit code 0, unless --lint-fatal: then 1."},
  {"test", cp_cmd_test, "config coverage min-coverage coverage-skip assignees run junit quiet args",
   "Runs policy fixtures: the YAML files named, or found in the folders named\n"
   "(crmpolicy test tests/fixtures). Each step of a fixture is a run as of its date\n"
   "on the fixture's facts; what it leaves is compared with what the step expects.\n"
   "Exit 0: all pass; 1: some fail (or coverage is below --min-coverage);\n"
   "2: an invalid fixture, config or rule file; 3: failed (a fixture's temporary\n"
   "databases could not be made, say: TMPDIR)."},
  {"explain", cp_cmd_explain, "config facts state as-of rule format args",
   "Explains one client as of a date (crmpolicy explain CLIENT): for every rule,\n"
   "whether it fired, the derived values and fields it read, the reasons it gave\n"
   "with why(), and what it reported, or its error; for a pick, whom the state\n"
   "holds. Writes nothing."},
  {"alerts", cmd_alerts, "config state format bom no-bom",
   "Prints the open alerts: a table (default), JSON lines, CSV, or one JSON array\n"
   "for Prometheus Alertmanager."},
  {"assignments", cmd_assignments, "config state format bom no-bom",
   "Prints the proposed assignments: a table (default), JSON lines or CSV."},
  {"status", cmd_status, "config state format",
   "Prints what the state database holds: its last run (as of, when, complete or\n"
   "not, clients, rule errors, data problems, events), the open alerts by\n"
   "severity, the proposed assignments, the feed's last seq and how far behind\n"
   "each named consumer and sink is: as text, JSON, or Prometheus metrics for\n"
   "node exporter's textfile collector. Only reads the state database."},
  {"feed", cp_cmd_feed, "config state since limit epoch consumer ack",
   "Prints the events after sequence number SEQ (default 0) as JSON lines, each\n"
   "with the state's epoch. Keep the last seq and epoch you read and pass them\n"
   "next time: nothing is lost or repeated; exit 6 when the epoch differs (the\n"
   "state was created anew). With --consumer NAME, the events after NAME's\n"
   "cursor, which --ack SEQ moves once they are handled (at least once)."},
  {"push", cp_cmd_push, "config state wait quiet",
   "Delivers the feed to the sinks the config names (sinks:): to Alertmanager, the\n"
   "open alerts, ending the ones no longer open; to a webhook, the events after its\n"
   "cursor in signed batches. Each sink is a consumer (sink:NAME) whose cursor moves\n"
   "only once delivered: at least once. Runs under the lock runs take. Exit 0: all\n"
   "delivered; 7: a sink kept failing (the others were delivered); 4: busy."},
  {"report", cp_cmd_report, "config facts state as-of month format output bom no-bom quiet",
   "Writes the report that the rules declare with report{} for a month, one row\n"
   "per client in its scope, as CSV or as one self-contained HTML page with\n"
   "charts. The month defaults to the month of the as-of date; an earlier month\n"
   "is evaluated as of its last day. Open alerts come from the state database,\n"
   "which is only read. Exit 0: written; 1: some rows failed (HTML: written\n"
   "without them; CSV: not written, the file there kept);\n"
   "2: invalid options, config, rules or facts; 3: failed (nothing written)."},
};

static const struct option long_opts[] = {
  {"config", required_argument, NULL, 'c'}, {"facts", required_argument, NULL, 'f'},
  {"state", required_argument, NULL, 's'},  {"as-of", required_argument, NULL, 'd'},
  {"wait", required_argument, NULL, 'w'},   {"quiet", no_argument, NULL, 'q'},
  {"format", required_argument, NULL, 'F'}, {"since", required_argument, NULL, 'S'},
  {"limit", required_argument, NULL, 'L'},  {"help", no_argument, NULL, 'h'},
  {"month", required_argument, NULL, 'm'},  {"output", required_argument, NULL, 'o'},
  {"jobs", required_argument, NULL, 'j'},   {"strict", no_argument, NULL, 'X'},
  {"epoch", required_argument, NULL, 'E'}, {"consumer", required_argument, NULL, 'N'},
  {"ack", required_argument, NULL, 'a'},    {"push", no_argument, NULL, 'p'},
  {"force", no_argument, NULL, 'G'},      {"replay", no_argument, NULL, 'P'},
  {"coverage", no_argument, NULL, 'C'},     {"min-coverage", required_argument, NULL, 'M'},
  {"rule", required_argument, NULL, 'R'},   {"fixtures", required_argument, NULL, 'x'},
  {"assignees", required_argument, NULL, 'A'}, {"coverage-skip", required_argument, NULL, 'K'},
  {"bom", no_argument, NULL, 'b'},          {"no-bom", no_argument, NULL, 'B'},
  {"bare", no_argument, NULL, 'I'},          {"profile", required_argument, NULL, 'Q'},
  {"minimal", no_argument, NULL, 'Z'},
  {"locale", required_argument, NULL, 'l'}, {"lint-fatal", no_argument, NULL, 'W'},
  {"run", required_argument, NULL, 'r'},    {"junit", required_argument, NULL, 'J'},
  {NULL, 0, NULL, 0},
};

static const char *const option_help[] = {
  "config", "-c, --config FILE  the YAML config (default: crmpolicy.yaml)",
  "facts", "--facts FILE    facts database, instead of the config's",
  "state", "--state FILE    state database, instead of the config's",
  "as-of", "--as-of DATE    evaluate as of YYYY-MM-DD, today or yesterday (default: today)",
  "wait", "--wait SECONDS  wait this long for another run to finish (default 0)",
  "quiet", "--quiet         print only errors and warnings",
  "jobs", "--jobs N        evaluate with N workers (default 1); same results",
  "strict", "--strict        a data problem in the facts fails the run (exit 3)",
  "lint-fatal", "--lint-fatal    a lint warning fails the check (exit 1), for CI",
  "force", "--force         run although a guard refuses (guard: in the config)",
  "replay", "--replay        accept an as-of date before the last run's: replay that day",
  "format", "--format FMT    the output format (usage() lists the command's own)",
  "min-coverage", "--min-coverage N  fail when the fixtures run less than N% of the rule lines",
  "coverage-skip", "--coverage-skip GLOB  leave the rule files matching GLOB out of the total (repeatable)",
  "run", "--run REGEX     run only the fixtures whose name or path matches (extended regex)",
  "junit", "--junit FILE    also write the results as JUnit XML, for CI",
  "coverage", "--coverage      print the share of rule lines the fixtures ran; rules never fired",
  "rule", "--rule ID       explain this rule only",
  "fixtures", "--fixtures DIR  run these fixtures quietly to lint params and untested rules",
  "assignees", "--assignees LOOKUP  assignees must be its ids (default: staff, when declared)",
  "month", "--month YYYY-MM the report's month (default: the month of the as-of date)",
  "output", "-o, --output FILE  where the report goes (written whole, mode 0600;\n"
  "                  - writes it to standard output)",
  "bom", "--bom, --no-bom  CSV: begin with a UTF-8 byte order mark, or not (report's\n"
  "                  default: with locale zh-CN, so that spreadsheets read the Chinese\n"
  "                  right; alerts and assignments: without)",
  "bare", "--bare          one example rule and its fixture, not the reference policy",
  "minimal", "--minimal       the smallest facts (clients, contacts), one rule and its\n"
  "                  fixture: a start for facts of one's own",
  "locale", "--locale L      the project's locale: en or zh-CN (default zh-CN, the reference\n"
  "                  policy's); with --bare, en labels the example rule in English",
  "since", "--since SEQ     print events after this sequence number",
  "limit", "--limit N       print at most N events",
  "epoch", "--epoch ID      the epoch of the seq given: exit 6 when the state's differs",
  "consumer", "--consumer NAME  read from NAME's cursor (kept in the state database)",
  "ack", "--ack SEQ       move the consumer's cursor to SEQ (events up to SEQ are handled)",
  "push", "--push          after the commit, push the feed to the config's sinks",
  "profile", "--profile FILE  after the commit, write where the run's time went, by rule\n"
  "                  and derived value (FILE -: standard output)",
  NULL,
};

/* Prints the first sentence of text (up to a full stop followed by a space,
 * a line end or the end), line ends as spaces, wrapped to lines of at most
 * 78 columns whose continuations are indented by indent spaces; the first
 * line starts at column indent. */
static void print_sentence(FILE *f, const char *text, int indent)
{
  size_t n = 0;
  while (text[n] && !(text[n] == '.' && (!text[n + 1] || text[n + 1] == ' ' ||
                                         text[n + 1] == '\n')))
    n++;
  if (text[n])
    n++;   /* the full stop */
  int col = indent;
  for (size_t i = 0; i < n;) {
    size_t w = i;
    while (w < n && text[w] != ' ' && text[w] != '\n')
      w++;
    int len = (int)(w - i);
    if (col > indent && col + 1 + len > 78) {
      fprintf(f, "\n%*s", indent, "");
      col = indent;
    } else if (col > indent) {
      fputc(' ', f);
      col++;
    }
    fprintf(f, "%.*s", len, text + i);
    col += len;
    i = w;
    while (i < n && (text[i] == ' ' || text[i] == '\n'))
      i++;
  }
  fputc('\n', f);
}

/* Returns the --format values that command name accepts, for its help. */
static const char *formats_of(const char *name)
{
  if (!strcmp(name, "alerts"))
    return "table, jsonl, csv or alertmanager";
  if (!strcmp(name, "assignments"))
    return "table, jsonl or csv";
  if (!strcmp(name, "report"))
    return "csv or html";
  if (!strcmp(name, "explain"))
    return "text or json";
  if (!strcmp(name, "status"))
    return "text, json or prometheus";
  return "";
}

/* The operands a command takes after its options, as README's synopsis
 * gives them ("" for none). */
static const char *operands_of(const char *name)
{
  if (!strcmp(name, "init"))
    return " DIR";
  if (!strcmp(name, "test"))
    return " FILE|DIR...";
  if (!strcmp(name, "explain"))
    return " CLIENT";
  return "";
}

/* Prints the usage of one command, or of all when cmd is NULL. */
static void usage(FILE *f, const command *cmd)
{
  if (!cmd) {
    fprintf(f, "usage: crmpolicy COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
      fprintf(f, "  %-12s ", commands[i].name);
      print_sentence(f, commands[i].help, 15);
    }
    fprintf(f, "\n'crmpolicy COMMAND --help' describes a command; 'crmpolicy --version'\n"
               "prints the version; 'man crmpolicy' tells the whole story.\n");
    return;
  }
  fprintf(f, "usage: crmpolicy %s [OPTIONS]%s\n\n%s\n\noptions:\n", cmd->name,
          operands_of(cmd->name), cmd->help);
  for (size_t i = 0; option_help[i]; i += 2) {
    if (!cp_words_has(cmd->options, option_help[i]))
      continue;
    if (!strcmp(option_help[i], "format"))
      fprintf(f, "  --format FMT    %s%s\n", formats_of(cmd->name),
              strcmp(cmd->name, "report") ? " (default: the first)" : "");
    else
      fprintf(f, "  %s\n", option_help[i + 1]);
  }
}

/* Returns today's local date as an epoch day. */
static int64_t today(void)
{
  time_t t = time(NULL);
  struct tm tm;
  localtime_r(&t, &tm);
  return cp_dates_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

/* Parses a whole non-negative number (digits only, within 64 bits);
 * returns -1 when it is not one. */
static int64_t number(const char *s)
{
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  return *s >= '0' && *s <= '9' && !*end && errno != ERANGE && v >= 0 ? v : -1;
}

static const char *option_name(int c);

/* Whether path can name a file: not empty, and not ending in '/', '/.' or
 * '/..' ("s.db/"), which name a folder. SQLite would open "f.db/" as f.db
 * (it drops the empty last part), past the check that the state is not the
 * facts file, whose stat() of "f.db/" fails; "" as a temporary database. */
static int names_a_file(const char *path)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  return *base && strcmp(base, ".") && strcmp(base, "..");
}

/* Applies one parsed option to o; returns -1 with a message when invalid. */
static int apply_option(cp_opts *o, int c, const char *arg)
{
  int64_t n;
  switch (c) {
  case 'c': o->config = arg; return 0;
  case 'f': case 's':
    if (!names_a_file(arg))
      return cp_diag_fail(CP_EUSAGE, "--%s: '%s' names no file (it is empty, or ends with '/', "
                          "'.' or '..'): give the database file's name", option_name(c), arg), -1;
    *(c == 'f' ? &o->facts : &o->state) = arg;
    return 0;
  case 'q': o->quiet = 1; return 0;
  case 'X': o->strict = 1; return 0;
  case 'W': o->lint_fatal = 1; return 0;
  case 'G': o->force = 1; return 0;
  case 'p': o->push = 1; return 0;
  case 'E':   /* an epoch is 16 hex digits: anything else is a typo, not another epoch */
    if (strlen(arg) != 16 || strspn(arg, "0123456789abcdefABCDEF") != 16)
      return cp_diag_fail(CP_EUSAGE, "--epoch: '%s' is not an epoch (16 hex digits, "
                          "as each event's \"epoch\" gives it)", arg), -1;
    o->epoch = arg;
    return 0;
  case 'N': o->consumer = arg; return 0;
  case 'P': o->replay = 1; return 0;
  case 'o': o->output = arg; return 0;
  case 'b': o->bom = 1; return 0;
  case 'B': o->bom = 0; return 0;
  case 'C': o->coverage = 1; return 0;
  case 'I': o->bare = o->bare == 3 ? 4 : 1; return 0;
  case 'Z': o->bare = o->bare == 1 ? 4 : 3; return 0;   /* 4: both, refused by init */
  case 'l': o->locale = arg; return 0;
  case 'R': o->rule = arg; return 0;
  case 'Q': o->profile = arg; return 0;
  case 'x': o->fixtures = arg; return 0;
  case 'A': o->assignees = arg; return 0;
  case 'r': o->run = arg; return 0;
  case 'J':
    if (!strcmp(arg, "-") || !*arg)
      return cp_diag_fail(CP_EUSAGE, "--junit: give a file name (the fixtures' results go to "
                          "standard output as text)"), -1;
    if (strlen(arg) > 4 && (!strcmp(arg + strlen(arg) - 5, ".yaml") ||
                            !strcmp(arg + strlen(arg) - 4, ".yml")))
      return cp_diag_fail(CP_EUSAGE, "--junit: %s would be taken for a fixture (and a fixture "
                          "there overwritten); name the XML report .xml", arg), -1;
    o->junit = arg;
    return 0;
  case 'K':   /* each one counts: a second must not drop the first */
    if (o->coverage_skips == CP_MAX_COVERAGE_SKIPS)
      return cp_diag_fail(CP_EUSAGE, "--coverage-skip: at most %d globs",
                          CP_MAX_COVERAGE_SKIPS), -1;
    o->coverage_skip[o->coverage_skips++] = arg;
    o->coverage = 1;
    return 0;
  case 'M':
    if ((n = number(arg)) >= 0 && n <= 100)
      return o->min_coverage = (int)n, o->coverage = 1, 0;
    return cp_diag_fail(CP_EUSAGE, "--min-coverage: '%s' is not a percentage from 0 to 100", arg), -1;
  case 'm':
    if ((o->has_month = cp_report_parse_month(arg, &o->month) == 0))
      return 0;
    return cp_diag_fail(CP_EUSAGE, "--month: '%s' is not a month (YYYY-MM)", arg), -1;
  case 'd':
    if (strcmp(arg, "today") == 0 || strcmp(arg, "yesterday") == 0) {   /* local dates */
      o->as_of = today() - (arg[0] == 'y');
      return 0;
    }
    if (cp_dates_parse_date(arg, strlen(arg), &o->as_of) == 0)
      return 0;
    return cp_diag_fail(CP_EUSAGE, "--as-of: '%s' is not a date (YYYY-MM-DD, today or yesterday)",
                     arg), -1;
  case 'j':
    if ((n = number(arg)) < 1 || n > 64)
      return cp_diag_fail(CP_EUSAGE, "--jobs: '%s' is not a number from 1 to 64", arg), -1;
    o->jobs = (int)n;
    return 0;
  case 'w': case 'S': case 'L': case 'a':
    if ((n = number(arg)) < 0)
      return cp_diag_fail(CP_EUSAGE, "--%s: '%s' is not a whole number", option_name(c), arg), -1;
    if (c == 'w')
      o->wait_seconds = n > 86400 ? 86400 : (int)n;
    else if (c == 'a')
      o->ack = n;
    else
      *(c == 'S' ? &o->since : &o->limit) = n;
    o->since_given |= c == 'S';
    return 0;
  default:
    return -1;
  }
}

/* Returns the long name of option letter c. */
static const char *option_name(int c)
{
  for (const struct option *p = long_opts; p->name; p++)
    if (p->val == c)
      return p->name;
  return "?";
}

/* Returns 1 when option letter c takes a value. */
static int takes_value(int c)
{
  for (const struct option *p = long_opts; p->name; p++)
    if (p->val == c)
      return p->has_arg == required_argument;
  return 0;
}

/* Parses the options of cmd. Returns 0, 1 for --help, or -1 on a usage error. */
static int parse_options(const command *cmd, int argc, char **argv, cp_opts *o)
{
  int c;
  unsigned char given[256] = {0};   /* options with a value seen, to refuse a second one */
  opterr = 0;
  optind = 1;
  for (;;) {
    if ((c = getopt_long(argc, argv, "+hc:o:", long_opts, NULL)) == -1) {
      /* after a "--" every word is an operand (getopt_long would otherwise
       * go back to the first operand, again and again) */
      int rest = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
      if (optind >= argc || !cp_words_has(cmd->options, "args"))
        break;
      do   /* an operand (options may follow), or all that are left after "--" */
        argv[1 + o->nargs++] = argv[optind++];
      while (rest && optind < argc);
      if (rest)
        break;
      continue;
    }
    if (c == 'h')
      return 1;
    if (c == '?' || c == ':')
      return cp_diag_fail(CP_EUSAGE, "%s: unknown option or missing value in '%s' (see "
                       "'crmpolicy %s --help')", cmd->name, argv[optind - 1], cmd->name), -1;
    if (!cp_words_has(cmd->options, option_name(c)))
      return cp_diag_fail(CP_EUSAGE, "%s: option '--%s' does not apply to this command (see "
                       "'crmpolicy %s --help')", cmd->name, option_name(c), cmd->name), -1;
    /* a second value would silently win (feed --consumer a --consumer b
     * --ack 5 moved b's cursor alone); --coverage-skip is a list */
    if (c != 'K' && takes_value(c) && given[(unsigned char)c]++)
      return cp_diag_fail(CP_EUSAGE, "%s: option '--%s' is given twice; give it once",
                          cmd->name, option_name(c)), -1;
    if (c == 'F' && (cmd->fn == cp_cmd_report || cmd->fn == cp_cmd_explain ||
                     cmd->fn == cmd_status))
      o->format_name = optarg;   /* the command checks it */
    else if (c == 'F' && (o->format = cp_query_format_parse(optarg)) < 0)
      return cp_diag_fail(CP_EUSAGE, "--format: '%s' is not one of %s", optarg,
                       formats_of(cmd->name)), -1;
    else if (c != 'F' && apply_option(o, c, optarg) < 0)
      return -1;
  }
  if (optind < argc)
    return cp_diag_fail(CP_EUSAGE, "%s: unexpected argument '%s'", cmd->name, argv[optind]), -1;
  o->args = argv + 1;
  return 0;
}

/* The state database the options name: --state, else the config's. */
static cp_exit with_state(const cp_opts *o, cp_err (*fn)(const char *path, const cp_opts *o))
{
  cp_config *cfg = NULL;
  cp_err rc = o->state ? fn(o->state, o) : cp_cli_config(o, &cfg);
  if (!o->state && rc == CP_OK)
    rc = fn(cfg->state, o);
  cp_config_free(cfg);
  return rc == CP_OK ? CP_EXIT_OK : cp_cli_exit_for(rc) == CP_EXIT_INVALID ? CP_EXIT_INVALID
                                                                       : CP_EXIT_FAILED;
}

/* Prints the open alerts (alerts 1) or proposed assignments; the table
 * (and Alertmanager's rule_label) under the labels and in the locale of the
 * config (with --state: only when the --config file, default
 * crmpolicy.yaml, exists). */
static cp_err print_results(const char *p, const cp_opts *o, int alerts)
{
  cp_config *cfg = NULL;
  cp_err rc = CP_OK;
  if (o->bom == 1 && o->format != CP_FMT_CSV)
    return cp_diag_fail(CP_EUSAGE, "--bom: only CSV begins with a byte order mark (add "
                        "--format csv)");
  if ((o->format == CP_FMT_TABLE || o->format == CP_FMT_ALERTMANAGER) &&
      (!o->state || access(o->config, F_OK) == 0))
    rc = cp_cli_config(o, &cfg);
  if (rc == CP_OK)
    rc = cp_query_results(p, alerts, (cp_format)o->format, cfg, o->bom == 1, stdout);
  cp_config_free(cfg);
  return rc;
}

static cp_err print_alerts(const char *p, const cp_opts *o)
{
  return print_results(p, o, 1);
}

static cp_err print_assignments(const char *p, const cp_opts *o)
{
  return print_results(p, o, 0);
}

static cp_exit cmd_alerts(const cp_opts *o)
{
  return with_state(o, print_alerts);
}

static cp_exit cmd_assignments(const cp_opts *o)
{
  return with_state(o, print_assignments);
}

static cp_err print_status(const char *p, const cp_opts *o)
{
  int fmt = o->format_name ? cp_status_format_parse(o->format_name) : CP_STATUS_TEXT;
  if (fmt < 0)
    return cp_diag_fail(CP_EUSAGE, "--format: '%s' is not one of %s", o->format_name,
                        formats_of("status"));
  return cp_status_print(p, (cp_status_format)fmt, stdout);
}

static cp_exit cmd_status(const cp_opts *o)
{
  return with_state(o, print_status);
}

/* Returns the command named name, or NULL. */
static const command *find_command(const char *name)
{
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(name, commands[i].name))
      return &commands[i];
  return NULL;
}

/* Whether arg is one of the two or three spellings given (NULLs allowed). */
static int is_one_of(const char *arg, const char *a, const char *b, const char *c)
{
  return !strcmp(arg, a) || !strcmp(arg, b) || (c && !strcmp(arg, c));
}

/* Answers help [COMMAND], -h, --help, version, -V and --version; returns
 * the exit code, or -1 when argv[1] is none of them. */
static int help_or_version(int argc, char **argv)
{
  if (is_one_of(argv[1], "--version", "-V", "version")) {
    printf("crmpolicy %s\n", cp_version);
    return CP_EXIT_OK;
  }
  if (!is_one_of(argv[1], "--help", "-h", "help"))
    return -1;
  const command *cmd = argc > 2 ? find_command(argv[2]) : NULL;
  if (argc > 2 && !cmd) {
    cp_diag_fail(CP_EUSAGE, "help: unknown command '%s' (see 'crmpolicy --help')", argv[2]);
    return CP_EXIT_INVALID;
  }
  usage(stdout, cmd);
  return CP_EXIT_OK;
}

/* Whether standard output is a pipe or socket whose reader has gone (`|
 * head` took what it wanted): writing to it fails with EPIPE. */
static int reader_gone(void)
{
  struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

/* The errno of the first write to standard output that failed, 0 while
 * none did. stdio keeps only a flag: once a write in the middle of a long
 * output failed (a full disk under `feed --since 0 > batch.jsonl`), the
 * errno is gone by the end, and the message could only say "a write
 * failed". Standard output is therefore a stream whose writes go to file
 * descriptor 1 through stdout_write, which keeps the first errno. */
static int stdout_errno;

static ssize_t stdout_write(void *cookie, const char *buf, size_t size)
{
  (void)cookie;
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(STDOUT_FILENO, buf + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (!stdout_errno)
        stdout_errno = n < 0 ? errno : EIO;
      return done ? (ssize_t)done : -1;
    }
    done += (size_t)n;
  }
  return (ssize_t)done;
}

/* Puts stdout_write under stdout, buffered as glibc buffers fd 1 (by line
 * on a terminal, in blocks otherwise); stdout is left as it was when the
 * stream cannot be made. */
static void stdout_keep_errno(void)
{
  FILE *f = fopencookie(NULL, "w", (cookie_io_functions_t){.write = stdout_write});
  if (!f)
    return;
  if (setvbuf(f, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ) != 0) {
    fclose(f);
    return;
  }
  stdout = f;
}

/* Whether standard output took everything written to it; when not (a full
 * disk under `feed --since 0 > batch.jsonl`, a reader gone), says so. stdio
 * keeps a failed write's error until the end, so without this a truncated
 * export exited 0. For a command whose output is what it is for (product:
 * alerts, feed ...), exit 0 becomes 3; one that wrote the state or files
 * first (run, push, init, feed --ack) only lost its summary, and keeps its
 * code. A reader that closed the pipe (`alerts | head`) chose to stop
 * reading: the code is the same, without a message. */
static int stdout_written(const char *command, int product, int code)
{
  int flushed = fflush(stdout) == 0;
  if (flushed && !ferror(stdout))
    return code;
  if (stdout_errno == EPIPE || (!flushed && errno == EPIPE) || reader_gone())
    return product && code == CP_EXIT_OK ? CP_EXIT_FAILED : code;
  const char *why = stdout_errno ? strerror(stdout_errno)
                    : flushed    ? "a write failed"
                                 : strerror(errno);
  if (!product) {
    cp_diag_warn("standard output: %s: what %s printed is incomplete (what it wrote stays "
                 "written)", why, command);
    return code;
  }
  cp_diag_fail(CP_EIO, "standard output: %s: what %s printed is incomplete", why, command);
  return code == CP_EXIT_OK ? CP_EXIT_FAILED : code;
}

/* Whether a command's standard output is its product (see stdout_written). */
static int output_is_product(const command *cmd, const cp_opts *o)
{
  static const char *const writers[] = {"run", "push", "init", NULL};
  for (size_t i = 0; writers[i]; i++)
    if (!strcmp(cmd->name, writers[i]))
      return 0;
  return strcmp(cmd->name, "feed") != 0 || o->ack < 0;
}

int main(int argc, char **argv)
{
  umask(077);   /* state and outputs hold customer data: owner only */
  /* A reader that goes away (`alerts | head`) makes writes fail with EPIPE
   * instead of killing the command where it stands: a read command would
   * leave its -wal and -shm files behind, `test` its temporary folder. */
  signal(SIGPIPE, SIG_IGN);
  /* A file size limit (ulimit -f, systemd's LimitFSIZE) makes a write past
   * it fail with EFBIG, said and rolled back, instead of killing the
   * command mid-write with SIGXFSZ (exit 153, no message). */
  signal(SIGXFSZ, SIG_IGN);
  stdout_keep_errno();
  /* Blocks of 128 KiB and more stay mapped on their own, whatever was freed
   * before: glibc otherwise raises this threshold when a large block is
   * freed (the grouped aggregates' arrays), and a growing array (a pool's
   * 40,000 members) is then copied within the heap, old and new resident
   * at once: 0.6 MB more peak memory at 1M clients. */
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  /* Paths are file names, never SQLite URIs: "file:f.db" would otherwise
   * name f.db, past the check that the state is not the facts file. */
  sqlite3_config(SQLITE_CONFIG_URI, 0);
  if (argc < 2) {
    usage(stderr, NULL);
    return CP_EXIT_INVALID;
  }
  int hv = help_or_version(argc, argv);
  if (hv >= 0)
    return stdout_written(argv[1], 1, hv);
  const command *cmd = find_command(argv[1]);
  if (!cmd) {
    cp_diag_fail(CP_EUSAGE, "unknown command '%s' (see 'crmpolicy --help')", argv[1]);
    return CP_EXIT_INVALID;
  }
  cp_opts o = {.config = "crmpolicy.yaml", .as_of = today(), .jobs = 1, .min_coverage = -1,
               .bom = -1, .ack = -1, .limit = -1};
  int p = parse_options(cmd, argc - 1, argv + 1, &o);
  if (p != 0) {
    if (p > 0)
      usage(stdout, cmd);
    return stdout_written(cmd->name, 1, p > 0 ? CP_EXIT_OK : CP_EXIT_INVALID);
  }
  cp_diag_set_quiet(o.quiet);
  cp_exit code = cmd->fn(&o);
  return stdout_written(cmd->name, output_is_product(cmd, &o), code);
}
