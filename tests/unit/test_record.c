/* test_record.c: the fingerprint other systems recompute (schema/state.sql:
 * FNV-1a 64 over rule, client id and key, each ended by a NUL, in hex). */
#include "record.h"
#include "unit.h"

TEST(fingerprints_are_fnv1a_64_in_16_hex_digits)
{
  char fp[17];
  cp_record_fingerprint("visit.account", "C000001", "", fp);
  CHECK_STR("c30f8f32897522c3", fp);
  cp_record_fingerprint("complaint.response", "C000042", "K7", fp);
  CHECK_STR("4a99a12ccfb12a3a", fp);
  cp_record_fingerprint("", "", "", fp);
  CHECK_STR("d94d12186c0f2fb7", fp);
  cp_record_fingerprint("r", "C32", "", fp);   /* leading zeros are kept: 16 digits always */
  CHECK_STR("005df2a231228fad", fp);
}
