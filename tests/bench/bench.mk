# tests/bench/bench.mk: the benchmarks (`make bench`) and the generator that the
# differential test uses. Included from the main Makefile (`include tests/bench/bench.mk`).
#
#   make bench                               10,000, 100,000 and 1,000,000 clients, with rows
#                                            in time order and then stored client by client
#   make bench BENCH_SIZES="10000 100000" BENCH_RUNS=5
#   make bench BENCH_LAYOUT=client           only a client's rows stored together
#   make bench BENCH_LAYOUT=covering         time order, with schema/facts-covering.sql
#
# Generated facts are cached in build/bench/facts-N.db (facts-N-by-client.db) and made
# again when the generator or the facts contract changes; 1,000,000 clients take 1.5 GB.

BENCH_SIZES  ?= 10000 100000 1000000
BENCH_RUNS   ?= 3
BENCH_LAYOUT ?= time client
BENCH_CFLAGS  = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 \
                $(shell pkg-config --cflags sqlite3 2>/dev/null)
BENCH_LIBS    = $(shell pkg-config --libs sqlite3 2>/dev/null)
# bench_suffix LAYOUT: how the facts files of a layout are named
bench_suffix  = $(if $(filter client,$(1)),-by-client)$(if $(filter covering,$(1)),-covering)
BENCH_DBS     = $(foreach l,$(BENCH_LAYOUT),$(BENCH_SIZES:%=build/bench/facts-%$(call bench_suffix,$(l)).db))

.PHONY: bench bench-deps

build/bench/gen: tests/bench/gen.c tests/bench/gen_client.c tests/bench/gen.h | deps
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $(filter %.c,$^) $(BENCH_LIBS) -lm -o $@

build/bench/floor: tests/bench/floor.c | deps
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $< $(BENCH_LIBS) -o $@

# A static pattern rule: the pattern rule for facts-%.db would take these names too.
$(BENCH_SIZES:%=build/bench/facts-%-covering.db): build/bench/facts-%-covering.db: \
  build/bench/facts-%.db schema/facts-covering.sql
	cp $< $@.tmp && sqlite3 $@.tmp < schema/facts-covering.sql && mv $@.tmp $@

build/bench/facts-%-by-client.db: build/bench/gen schema/facts.sql
	build/bench/gen -s schema/facts.sql -n $* --layout client -o $@

build/bench/facts-%.db: build/bench/gen schema/facts.sql
	build/bench/gen -s schema/facts.sql -n $* -o $@

# /usr/bin/time measures peak memory: installed when root, else the apt-get line.
bench-deps:
	@if [ ! -x /usr/bin/time ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: time"; \
	    apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq time >/dev/null || exit 1; \
	  else \
	    echo "missing package; run: sudo apt-get install -y time"; exit 1; \
	  fi; \
	fi

bench: deps bench-deps build/release/crmpolicy build/bench/floor $(BENCH_DBS)
	@for l in $(BENCH_LAYOUT); do \
	  BENCH_RUNS=$(BENCH_RUNS) BENCH_LAYOUT=$$l tests/bench/bench.sh $(BENCH_SIZES) || exit 1; \
	done

# tests/bench/test_differential.sh generates its facts with both generators.
test: build/bench/gen build/gen/demo-gen
