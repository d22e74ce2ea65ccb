#!/usr/bin/env python3
"""tests/validate_events.py SCHEMA [FILE]: validates every line of FILE (or
stdin) as one JSON value against the JSON Schema (draft 2020-12) in SCHEMA.
Prints "N valid" or the first errors with their line numbers; exit 0 only
when there was at least one line and every line is valid."""
import json
import sys

import jsonschema


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    src = open(sys.argv[2], encoding="utf-8") if len(sys.argv) > 2 else sys.stdin
    n = bad = 0
    for n, line in enumerate(src, 1):
        try:
            errors = list(validator.iter_errors(json.loads(line)))
        except ValueError as e:
            errors = [e]
        for e in errors[:3]:
            bad += 1
            if bad <= 10:
                print(f"line {n}: {getattr(e, 'message', e)}")
    print(f"{n} lines, {bad} errors" if bad or not n else f"{n} valid")
    return 0 if n and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
