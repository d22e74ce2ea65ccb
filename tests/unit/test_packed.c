/* test_packed.c: lookup rows packed by column (engine/data/packed.c) read
 * back as they went in: every type, nil bits across bytes, texts kept once,
 * growth past the first allocation, and a value of the wrong type refused. */
#include <math.h>
#include <stdlib.h>
#include <stdint.h>

#include "facts.h"
#include "packed.h"
#include "unit.h"

static cp_column_cfg cols[] = {
  {.name = "t", .type = CP_COL_TEXT},    {.name = "i", .type = CP_COL_INTEGER},
  {.name = "r", .type = CP_COL_REAL},    {.name = "b", .type = CP_COL_BOOLEAN},
  {.name = "d", .type = CP_COL_DATE},
};
static cp_table_cfg table = {.name = "things", .columns = cols, .columns_count = 5};

static cp_value text(const char *s)
{
  return (cp_value){.type = CP_V_TEXT, .len = (uint32_t)strlen(s), .u.s = s};
}

/* Row k of the test: every seventh value nil, texts from a set of three. */
static void make_row(uint32_t k, cp_value *row)
{
  static const char *const words[] = {"甲乙", "", "kam"};
  row[0] = text(words[k % 3]);
  row[1] = (cp_value){.type = CP_V_INT, .u.i = k % 2 ? INT64_MIN + k : INT64_MAX - k};
  row[2] = (cp_value){.type = CP_V_REAL, .u.r = k == 5 ? -0.0 : (double)k / 4};
  row[3] = (cp_value){.type = CP_V_BOOL, .u.i = k % 2};
  row[4] = (cp_value){.type = CP_V_INT, .u.i = 20000 + k};
  row[k % 5] = (cp_value){.type = k % 7 ? row[k % 5].type : CP_V_NIL, .u = row[k % 5].u,
                          .len = row[k % 5].len};
}

TEST(packed_rows_read_back_as_they_went_in)
{
  cp_packed *p = cp_packed_new(&table);
  cp_value row[5], got;
  CHECK(p != NULL);
  for (uint32_t k = 0; k < 300; k++) {
    make_row(k, row);
    CHECK_INT(0, cp_packed_add(p, row));
  }
  cp_packed_done(p);
  for (uint32_t k = 0; k < 300; k++) {
    make_row(k, row);
    for (unsigned j = 0; j < 5; j++) {
      cp_packed_get(p, k, j, &got);
      CHECK_INT(row[j].type, got.type);
      if (got.type == CP_V_TEXT) {
        CHECK_INT(row[j].len, got.len);
        CHECK(strcmp(row[j].u.s, got.u.s) == 0);
      } else if (got.type == CP_V_REAL) {
        CHECK(memcmp(&row[j].u.r, &got.u.r, sizeof got.u.r) == 0);   /* -0.0 stays -0.0 */
      } else if (got.type != CP_V_NIL) {
        CHECK(row[j].u.i == got.u.i);
      }
    }
  }
  cp_value a, b;   /* a text is kept once: rows 1 and 4 share the empty text */
  cp_packed_get(p, 1, 0, &a);
  cp_packed_get(p, 4, 0, &b);
  CHECK(a.u.s == b.u.s);
  cp_packed_free(p);
}

TEST(packed_rows_refuse_a_value_of_another_type)
{
  cp_packed *p = cp_packed_new(&table);
  cp_value row[5];
  make_row(1, row);
  row[2] = text("1.5");
  CHECK_INT(-3, cp_packed_add(p, row));
  cp_packed_free(p);
  cp_packed_free(NULL);
}

TEST(packed_texts_of_every_length_read_back)
{
  static char buf[70000];
  static const size_t lens[] = {0, 1, 127, 128, 129, 65535, 65536, 69999};
  cp_packed *p = cp_packed_new(&table);
  cp_value row[5] = {{0}}, got;
  for (size_t k = 0; k < sizeof buf; k++)
    buf[k] = (char)('a' + k % 26);
  for (size_t k = 0; k < 8; k++) {
    char *s = malloc(lens[k] + 1);
    memcpy(s, buf, lens[k]);
    s[lens[k]] = '\0';
    row[0] = (cp_value){.type = CP_V_TEXT, .len = (uint32_t)lens[k], .u.s = s};
    CHECK_INT(0, cp_packed_add(p, row));
    free(s);   /* the store keeps its own copy */
  }
  cp_packed_done(p);
  for (uint32_t k = 0; k < 8; k++) {
    cp_packed_get(p, k, 0, &got);
    CHECK_INT(CP_V_TEXT, got.type);
    CHECK_INT(lens[k], got.len);
    CHECK_INT(lens[k], strlen(got.u.s));
    CHECK(memcmp(got.u.s, buf, lens[k]) == 0);
    cp_packed_get(p, k, 1, &got);
    CHECK_INT(CP_V_NIL, got.type);
  }
  cp_packed_free(p);
}
