# tests/fuzz/fuzz.mk: libFuzzer harnesses of the config loader, the date
# parsers, params -> Lua, the dt library and the facts as rules read them. Included by the Makefile:
#
#   make fuzz                 each harness for FUZZ_SECONDS (default 60)
#   make fuzz-quick           each for FUZZ_QUICK_SECONDS (20): what `make test` runs
#   make fuzz-build           the harnesses only, in build/fuzz/
#
# Each run first replays tests/fuzz/regressions/<harness>/ (every file there
# once crashed a harness and must not any more), then fuzzes from the seeds in
# tests/fuzz/corpus/<harness>/; new inputs go to build/fuzz/corpus/<harness>/,
# crashes to build/fuzz/artifacts/<harness>/. tests/fuzz/run.sh does the work
# and prints executions per harness.
#
# The engine is compiled again with clang: coverage for libFuzzer, ASan and
# UBSan, into build/fuzz/ (engine/cmd/main.c left out). libFuzzer's runtime comes
# with clang's compiler-rt (Debian: libclang-rt-14-dev); fuzz-deps installs it
# when missing and run as root, as `make deps` does for the libraries.

FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_QUICK_SECONDS ?= 20
FUZZ_DEBS          := clang libclang-rt-14-dev
FUZZ_PKGS          := lua5.4 sqlite3 libcyaml yaml-0.1 libcurl libcrypto
FUZZ_SAN           := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS         = -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra $(FUZZ_SAN) \
                      $(shell pkg-config --cflags $(FUZZ_PKGS) 2>/dev/null) $(LAYER_INCS)
FUZZ_LIBS           = $(shell pkg-config --libs $(FUZZ_PKGS) 2>/dev/null) -lm -pthread
FUZZ_HARNESSES     := config dates params dtlib facts
FUZZ_ENGINE_OBJS   := $(patsubst engine/%.c,build/fuzz/engine/%.o,\
                        $(filter-out engine/cmd/main.c,$(SRCS))) \
                      build/fuzz/engine/state_sql.o
FUZZ_BINS          := $(FUZZ_HARNESSES:%=build/fuzz/fuzz_%)

.PHONY: fuzz fuzz-quick fuzz-build fuzz-deps
# Objects made by pattern rules: keep them between builds.
.SECONDARY: $(FUZZ_ENGINE_OBJS) build/fuzz/state_sql.c

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_HARNESSES)

fuzz-quick: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_QUICK_SECONDS) tests/fuzz/run.sh $(FUZZ_HARNESSES)

# Checks that clang links a libFuzzer target; installs FUZZ_DEBS when it does
# not and we are root, else says what to run.
build/fuzz/.deps-ok:
	@mkdir -p $(@D)
	@printf 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }\n' \
	  > build/fuzz/probe.c
	@if ! $(FUZZ_CC) -fsanitize=fuzzer,address,undefined build/fuzz/probe.c \
	       -o build/fuzz/probe 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $(FUZZ_DEBS)"; \
	    apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
	      $(FUZZ_DEBS) >/dev/null || exit 1; \
	    $(FUZZ_CC) -fsanitize=fuzzer,address,undefined build/fuzz/probe.c \
	      -o build/fuzz/probe || exit 1; \
	  else \
	    echo "clang cannot link libFuzzer targets; run: sudo apt-get install -y $(FUZZ_DEBS)"; \
	    exit 1; \
	  fi; \
	fi
	@rm -f build/fuzz/probe build/fuzz/probe.c
	@touch $@

fuzz-deps: build/fuzz/.deps-ok

build/fuzz/state_sql.c: schema/state.sql
	@mkdir -p $(@D)
	@{ echo '/* Generated from schema/state.sql by tests/fuzz/fuzz.mk. */'; \
	   echo 'const char cp_state_sql[] ='; \
	   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/  "/' -e 's/$$/\\n"/' $<; \
	   echo ';'; } > $@

build/fuzz/engine/state_sql.o: build/fuzz/state_sql.c | build/fuzz/.deps-ok
	@mkdir -p $(@D)
	$(FUZZ_CC) -c $< -o $@

# Engine objects get coverage (fuzzer-no-link); the harness links libFuzzer.
build/fuzz/engine/%.o: engine/%.c $(HDRS) | build/fuzz/.deps-ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_ENGINE_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_ENGINE_OBJS) $(FUZZ_LIBS) -o $@
