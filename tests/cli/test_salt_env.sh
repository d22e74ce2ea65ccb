#!/usr/bin/env bash
# tests/cli/test_salt_env.sh: a feed.salt_env variable that is not set, or is
# set but empty, is refused (exit 2, nothing written), and the message says
# which of the two it is and what to do about it.
. "$(dirname "$0")/../lib.sh"

setup_salted() {
  clients_config "[{name: name, type: text}]" "feed: {mask: [client_id], salt_env: CP_TEST_SALT}"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','a','active','2026-01-01');"
  printf 'rule { id = "r", doc = "d", fn = function(c) alert { severity = "info" } end }\n' > r.lua
}

test_an_unset_salt_variable_says_not_set_and_what_to_do() {
  setup_salted
  env -u CP_TEST_SALT "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2> err
  expect_eq "exit" 2 "$?"
  expect_eq "message" "crmpolicy: c.yaml: feed.salt_env: the environment variable CP_TEST_SALT is not set: export it with the feed's salt (masked ids are hashed with it), as every run and push must" "$(cat err)"
  [ ! -e s.db ] || fail "a state database was written"
}

test_an_empty_salt_variable_says_empty() {
  setup_salted
  CP_TEST_SALT= "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2> err
  expect_eq "exit" 2 "$?"
  expect_eq "message" "crmpolicy: c.yaml: feed.salt_env: the environment variable CP_TEST_SALT is empty: export it with the feed's salt (masked ids are hashed with it), as every run and push must" "$(cat err)"
  [ ! -e s.db ] || fail "a state database was written"
  CP_TEST_SALT=s3cret "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit with the salt" 0 "$?"
}

run_tests
