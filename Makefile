# crmpolicy: `make demo` and `make test` are all a new user needs.
# Builds go to build/release and build/asan (ASan + UBSan), from engine/<layer>/*.c
# (engine/README.md: the layers, and the rule that keeps them).

CC       ?= cc
PKGS     := lua5.4 sqlite3 libcyaml yaml-0.1 libcurl libcrypto
# Debian packages: libraries and their headers (libcurl and libcrypto for
# push), pkg-config; for the tests, the sqlite3 command (small facts
# databases), a real Alertmanager with curl to post to it, python3's
# jsonschema (the event schema), python3 and binutils (the layer check),
# man-db (the installed man page renders), jq (README's feed consumer runs
# as written), strace (a command stops at its output's first failed write),
# python3's prometheus_client (its parser reads `status --format prometheus`).
DEBS     := liblua5.4-dev libsqlite3-dev libcyaml-dev libyaml-dev pkg-config sqlite3 \
            prometheus-alertmanager curl libcurl4-openssl-dev libssl-dev python3-jsonschema \
            python3 binutils man-db jq strace python3-prometheus-client
CFLAGS_COMMON = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(LAYER_INCS)
# Lua is linked from Debian's static liblua5.4.a (liblua5.4-dev), so the binary
# needs no Lua shared library where it runs; measured, a run is as fast as
# with the shared one (README "Speed").
LIBS     = $(shell pkg-config --libs $(filter-out lua5.4,$(PKGS)) 2>/dev/null) -l:liblua5.4.a -ldl -lm -pthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# The layers, bottom up; a file includes and calls only its own layer and those
# below (tests/arch/test_layers.sh checks it).
LAYERS   := base data lua state cmd
LAYER_INCS := $(LAYERS:%=-Iengine/%)
SRCS     := $(foreach l,$(LAYERS),$(wildcard engine/$(l)/*.c))
HDRS     := $(foreach l,$(LAYERS),$(wildcard engine/$(l)/*.h))
REL_OBJS := $(SRCS:engine/%.c=build/release/%.o) build/release/state_sql.o
SAN_OBJS := $(SRCS:engine/%.c=build/asan/%.o) build/asan/state_sql.o
LIB_OBJS_REL := $(filter-out build/release/cmd/main.o,$(REL_OBJS))
LIB_OBJS_SAN := $(filter-out build/asan/cmd/main.o,$(SAN_OBJS))

DEMO_DB    := build/demo/facts.db
DEMO_STATE := build/demo/state.db
DEMO_REPORT := build/demo/report
DEMO_ASOF  := 2026-11-15

# The version: `git describe` of the checkout, else (a tarball) BASE_VERSION.
BASE_VERSION := 0.1.0
VERSION  := $(shell git describe --tags --dirty 2>/dev/null || \
              { h=$$(git rev-parse --short HEAD 2>/dev/null) && echo "$(BASE_VERSION)+g$$h"; } || \
              echo "$(BASE_VERSION)")

# make install / uninstall: PREFIX (default /usr/local) and DESTDIR (staging).
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   := $(PREFIX)/bin
MAN1DIR  := $(PREFIX)/share/man/man1
SHAREDIR := $(PREFIX)/share/crmpolicy
UNITDIR  := $(PREFIX)/lib/systemd/system
# What goes under share/crmpolicy, the same layout as the source tree:
# `crmpolicy init` finds it there (or here, run from the source tree).
SHARE_FILES := rules/POLICY.md rules/.luarc.json $(wildcard rules/*.lua rules/lib/*.lua) \
               $(wildcard schema/*.sql schema/*.json) editor/crmpolicy.lua examples/demo/crmpolicy.yaml \
               $(wildcard examples/systemd/* examples/init/*.md examples/init/*.lua examples/init/*.json \
                          examples/init/*.yaml examples/init/minimal/* tests/fixtures/*.yaml) \
               $(shell find tests/policy -name '*.yaml' 2>/dev/null | sort)
UNITS    := crmpolicy.service crmpolicy.timer

.PHONY: all deps test demo clean valgrind install uninstall FORCE

all: build/release/crmpolicy

# Installs missing system packages when root (waiting up to 10 minutes for
# another apt or dpkg to let go of its lock); otherwise says what to run.
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing packages; run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# The build folders, made before anything is written into them (order-only
# prerequisites: a folder's time stamp never makes a target stale).
build/release build/asan build/gen build/demo:
	@mkdir -p $@

build/gen/state_sql.c: schema/state.sql | build/gen
	@{ echo '/* Generated from schema/state.sql by the Makefile. */'; \
	   echo 'const char cp_state_sql[] ='; \
	   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/  "/' -e 's/$$/\\n"/' $<; \
	   echo ';'; } > $@

# version.o carries the version; build/gen/version changes when it does.
build/gen/version: FORCE | build/gen
	@[ "$$(cat $@ 2>/dev/null)" = "$(VERSION)" ] || echo "$(VERSION)" > $@
build/release/base/version.o build/asan/base/version.o: build/gen/version
build/release/base/version.o build/asan/base/version.o: CFLAGS_COMMON += -DCP_VERSION='"$(VERSION)"'

build/release/%.o: engine/%.c $(HDRS) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O2 -c $< -o $@

build/asan/%.o: engine/%.c $(HDRS) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O1 $(SAN) -c $< -o $@

build/release/state_sql.o: build/gen/state_sql.c | build/release
	$(CC) -c $< -o $@
build/asan/state_sql.o: build/gen/state_sql.c | build/asan
	$(CC) -c $< -o $@

build/release/crmpolicy: $(REL_OBJS)
	$(CC) $^ $(LIBS) -o $@

build/asan/crmpolicy: $(SAN_OBJS)
	$(CC) $(SAN) $^ $(LIBS) -o $@

build/release/unit: tests/unit/*.c $(LIB_OBJS_REL)
	$(CC) $(CFLAGS_COMMON) -O1 -Itests/unit tests/unit/*.c $(LIB_OBJS_REL) $(LIBS) -o $@

build/asan/unit: tests/unit/*.c $(LIB_OBJS_SAN)
	$(CC) $(CFLAGS_COMMON) -O1 $(SAN) -Itests/unit tests/unit/*.c $(LIB_OBJS_SAN) $(LIBS) -o $@

build/gen/demo-gen: examples/demo/gen.c | deps build/gen
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 $< $(shell pkg-config --cflags --libs sqlite3) -o $@

# The allocator that fails on demand (tests/hardening/test_out_of_memory.sh).
build/test/failalloc.so: tests/hardening/failalloc.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -shared -fPIC $< -o $@

# Every test, release and sanitizer builds, with one closing count.
test: deps build/release/crmpolicy build/asan/crmpolicy build/release/unit build/asan/unit \
      fuzz-build build/gen/demo-gen build/test/failalloc.so
	@tests/run-all.sh

demo: deps build/release/crmpolicy build/gen/demo-gen
	@mkdir -p build/demo
	@build/gen/demo-gen -s schema/facts.sql -o $(DEMO_DB) --as-of $(DEMO_ASOF)
	@rm -f $(DEMO_STATE) $(DEMO_STATE)-wal $(DEMO_STATE)-shm
	@build/release/crmpolicy run --config examples/demo/crmpolicy.yaml \
	  --facts $(DEMO_DB) --state $(DEMO_STATE) --as-of $(DEMO_ASOF); \
	  rc=$$?; echo "state database: $(DEMO_STATE) (exit code $$rc)"; \
	  [ $$rc -le 1 ] || exit $$rc; \
	  for f in html csv; do \
	    build/release/crmpolicy report --config examples/demo/crmpolicy.yaml --quiet \
	      --facts $(DEMO_DB) --state $(DEMO_STATE) --as-of $(DEMO_ASOF) \
	      --format $$f -o $(DEMO_REPORT).$$f; r=$$?; [ $$r -le 1 ] || exit $$r; \
	  done; \
	  echo "monthly report: $(DEMO_REPORT).html (open it in a browser), $(DEMO_REPORT).csv"; \
	  echo "try: build/release/crmpolicy alerts --state $(DEMO_STATE) | head"; exit $$rc

clean:
	rm -rf build

# Installs the binary, the man page, share/crmpolicy (the reference policy,
# its fixtures, schemas, editor annotations, examples) and the systemd
# service and timer, whose ExecStart names the installed binary.
install: build/release/crmpolicy
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 build/release/crmpolicy $(DESTDIR)$(BINDIR)/crmpolicy
	install -m 0644 man/crmpolicy.1 $(DESTDIR)$(MAN1DIR)/crmpolicy.1
	@for f in $(SHARE_FILES); do \
	  install -d "$(DESTDIR)$(SHAREDIR)/$$(dirname $$f)" && \
	  install -m 0644 "$$f" "$(DESTDIR)$(SHAREDIR)/$$f" || exit 1; \
	done; echo "installed $(words $(SHARE_FILES)) files under $(DESTDIR)$(SHAREDIR)"
	@for u in $(UNITS); do \
	  sed 's|/usr/local/bin/crmpolicy|$(BINDIR)/crmpolicy|g' examples/systemd/$$u \
	    > $(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done

# Removes what install put, and the folders under share/crmpolicy.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/crmpolicy $(DESTDIR)$(MAN1DIR)/crmpolicy.1
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS))
	rm -f $(addprefix $(DESTDIR)$(SHAREDIR)/,$(SHARE_FILES))
	[ ! -d $(DESTDIR)$(SHAREDIR) ] || find $(DESTDIR)$(SHAREDIR) -depth -type d -empty -delete

# Benchmarks (make bench) and the differential test against plain SQL.
include tests/bench/bench.mk

# Fuzzing (make fuzz; make test runs each harness briefly).
include tests/fuzz/fuzz.mk

# The end-to-end runs under valgrind: no error, no leak.
valgrind: build/release/crmpolicy build/gen/demo-gen
	@tests/hardening/valgrind.sh
