/* junit.c: the JUnit XML report of `crmpolicy test --junit FILE`. */
#include "junit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Appends s as XML character data or an attribute value: the five markup
 * characters as entities, and what XML 1.0 cannot hold (control characters
 * but tab, line feed and carriage return; the noncharacters U+FFFE and
 * U+FFFF; bytes that are not UTF-8) as U+FFFD, so that any fixture name,
 * path or message makes a well-formed file. */
static void xml_text(sbuf *b, const char *s)
{
  size_t n = strlen(s);
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    size_t len = cp_sbuf_utf8_len(s + i, n - i);
    if (c == '&')
      cp_sbuf_add(b, "&amp;");
    else if (c == '<')
      cp_sbuf_add(b, "&lt;");
    else if (c == '>')
      cp_sbuf_add(b, "&gt;");
    else if (c == '"')
      cp_sbuf_add(b, "&quot;");
    else if (c == '\'')
      cp_sbuf_add(b, "&apos;");
    else if (len == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
             (len == 3 && c == 0xef && (unsigned char)s[i + 1] == 0xbf &&
              (unsigned char)s[i + 2] >= 0xbe))
      cp_sbuf_add(b, "\xef\xbf\xbd");
    else
      cp_sbuf_addn(b, s + i, len);
    i += len ? len : 1;
  }
}

/* The first line of text, for a message attribute. */
static void first_line(sbuf *b, const char *text)
{
  const char *end = strchr(text, '\n');
  size_t n = end ? (size_t)(end - text) : strlen(text);
  char line[512];
  snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), text);
  xml_text(b, line + strspn(line, " "));
}

void cp_junit_case(cp_junit *j, const char *path, const char *name, double seconds,
                   cp_junit_verdict verdict, const char *report, const char *output)
{
  sbuf *b = &j->cases;
  j->tests++;
  j->seconds += seconds;
  cp_sbuf_add(b, "    <testcase classname=\"");
  xml_text(b, path);
  cp_sbuf_add(b, "\" name=\"");
  xml_text(b, name ? name : path);
  cp_sbuf_printf(b, "\" file=\"");
  xml_text(b, path);
  cp_sbuf_printf(b, "\" time=\"%.3f\"", seconds);
  if (verdict == CP_JUNIT_PASSED && !(output && *output)) {
    cp_sbuf_add(b, "/>\n");
    return;
  }
  cp_sbuf_add(b, ">\n");
  if (verdict == CP_JUNIT_FAILED) {
    j->failures++;
    const char *text = report && *report ? report : "the fixture failed";
    cp_sbuf_add(b, "      <failure message=\"");
    first_line(b, text);
    cp_sbuf_add(b, "\" type=\"difference\">");
    xml_text(b, text);
    cp_sbuf_add(b, "</failure>\n");
  } else if (verdict == CP_JUNIT_SKIPPED) {
    j->skipped++;
    cp_sbuf_add(b, "      <skipped message=\"left out by --run\"/>\n");
  } else if (verdict == CP_JUNIT_INVALID) {
    j->errors++;
    const char *text = output && *output ? output : "invalid fixture";
    cp_sbuf_add(b, "      <error message=\"");
    first_line(b, text);
    cp_sbuf_add(b, "\" type=\"invalid fixture\">");
    xml_text(b, text);
    cp_sbuf_add(b, "</error>\n");
  }
  if (output && *output) {
    cp_sbuf_add(b, "      <system-err>");
    xml_text(b, output);
    cp_sbuf_add(b, "</system-err>\n");
  }
  cp_sbuf_add(b, "    </testcase>\n");
}

cp_err cp_junit_write(const cp_junit *j, const char *path, const char *suite)
{
  sbuf doc = {0}, tmp = {0};
  cp_sbuf_add(&doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  cp_sbuf_printf(&doc, "<testsuites name=\"");
  xml_text(&doc, suite);
  cp_sbuf_printf(&doc, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
                 "time=\"%.3f\">\n", j->tests, j->failures, j->errors, j->skipped, j->seconds);
  cp_sbuf_add(&doc, "  <testsuite name=\"");
  xml_text(&doc, suite);
  cp_sbuf_printf(&doc, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
                 "time=\"%.3f\">\n", j->tests, j->failures, j->errors, j->skipped, j->seconds);
  cp_sbuf_add(&doc, j->cases.s ? j->cases.s : "");
  cp_sbuf_add(&doc, "  </testsuite>\n</testsuites>\n");
  cp_sbuf_printf(&tmp, "%s.tmp%ld", path, (long)getpid());
  cp_err rc = CP_OK;
  if (doc.oom || tmp.oom || j->cases.oom) {
    rc = cp_diag_fail(CP_ENOMEM, "--junit: out of memory");
  } else {
    FILE *f = fopen(tmp.s, "w");
    int err = 0;
    if (!f)
      err = errno;
    else if (fwrite(doc.s, 1, doc.len, f) != doc.len || fflush(f) != 0)
      err = errno ? errno : EIO;
    if (f && fclose(f) != 0 && !err)
      err = errno;
    if (!err && rename(tmp.s, path) != 0)
      err = errno;
    if (err) {
      if (f)
        unlink(tmp.s);
      rc = cp_diag_fail(CP_EIO, "--junit: %s: %s", path, strerror(err));
    }
  }
  cp_sbuf_free(&doc);
  cp_sbuf_free(&tmp);
  return rc;
}

void cp_junit_free(cp_junit *j)
{
  cp_sbuf_free(&j->cases);
}
