#!/usr/bin/env bash
# tests/cli/test_config_text.sh: an empty text (or one too long) where the
# config wants a text is an error that says so at its line and key, not
# libcyaml's "STRING length < 1:  at feed.salt".
. "$(dirname "$0")/../lib.sh"

test_an_empty_text_says_what_and_where() {
  clients_config "[{name: name, type: text}]" "feed: {mask: [client_id], salt: \"\"}"
  cp_run check --config c.yaml
  expect_eq "salt" "2|crmpolicy: c.yaml:5: feed.salt: an empty text is not allowed here (\"\"): write a value" "$RC|$ERR"
  clients_config "[{name: name, type: text}]" "sinks:" "  - {name: a, type: webhook, url: ''}"
  cp_run check --config c.yaml
  expect_eq "url" "2|crmpolicy: c.yaml:6: sinks: an empty text is not allowed here (\"\"): write a value" "$RC|$ERR"
  clients_config "[{name: '', type: text}]"
  cp_run check --config c.yaml
  expect_eq "column name" "2|crmpolicy: c.yaml:4: clients.columns: an empty text is not allowed here (\"\"): write a value" "$RC|$ERR"
}

run_tests
