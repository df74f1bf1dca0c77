# dialhook: one hand-written GNU Makefile.
#   make              release build: bin/dialhook-ingest, bin/dialhook-processor, bin/dialhookctl
#   make SANITIZE=1   ASan+UBSan build (objects and binaries under build/san/)
#   make deps         install what is missing (apt-get), quiet when all is there
#   make check        deps, format-check, sanitizer build, unit tests, fuzz corpora,
#                     integration tests, the short fault-injection suite
#   make run          deps, build, throwaway PostgreSQL, migrate, both daemons
#   make bench-ingest | bench-processor | bench-plots | bench    benchmarks (not tests)
#   make fuzz         every libFuzzer target for FUZZ_SECONDS (default 60)
#   make faults       the full fault-injection suite (docs/reliability.md)
#   make docs-config  regenerate the option table in docs/configuration.md
#   make format-check line length and whitespace of the C sources (also run by make check)
#   make compose-check   build the image, run docker-compose.yml for real (Docker or the
#                     podman harness; root, minutes; not part of make check)

# What the binaries link. cJSON is test-only: the tests' oracle for common/json
# (docs/development.md says why the daemons do not parse with it).
PKGS      := libevent libpq libsodium
TEST_PKGS := libcjson
STD       := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN      := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wmissing-declarations -Wwrite-strings -Wpointer-arith -Wundef -Wcast-align \
             -Wvla -Wnull-dereference -Wdouble-promotion -Werror
OPT       ?= -O2
DEBUG     ?= -g
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

ifeq ($(SANITIZE),1)
  OUT     := build/san
  BIN     := build/san/bin
  OPT     := -O1
  SANFLAGS:= -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  # bugs abort instead of being logged and survived (e.g. an illegal request state change in ingest/store.c)
  STRICT  := -DDH_STRICT
else
  OUT     := build/rel
  BIN     := bin
  SANFLAGS:=
  STRICT  :=
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS := $(STD) $(WARN) $(OPT) $(DEBUG) $(SANFLAGS) $(STRICT) -MMD -MP -Icommon -I$(OUT)/gen \
              -DDH_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS:= $(SANFLAGS) $(LDFLAGS)
LIBS       := $(PKG_LIBS) -lm
TEST_CFLAGS:= $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS  := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

COMMON_SRC := $(wildcard common/*.c)
INGEST_SRC := $(wildcard ingest/*.c)
PROC_SRC   := $(wildcard processor/*.c)
CTL_SRC    := $(wildcard processor/ctl/*.c)
UNIT_SRC   := $(wildcard test/unit/test_*.c)
MIGRATIONS := $(sort $(wildcard sql/[0-9][0-9][0-9]_*.sql))

obj = $(patsubst %.c,$(OUT)/obj/%.o,$(1))
COMMON_OBJ := $(call obj,$(COMMON_SRC)) $(OUT)/obj/gen/migrations_data.o
LIBDH      := $(OUT)/libdialhook.a
UNIT_BIN   := $(patsubst test/unit/%.c,$(OUT)/test/%,$(UNIT_SRC))
# A daemon is built once its main.c exists (the foundation lands before the daemons).
BINARIES   := $(if $(wildcard ingest/main.c),$(BIN)/dialhook-ingest) \
              $(if $(wildcard processor/main.c),$(BIN)/dialhook-processor) $(BIN)/dialhookctl

.PHONY: all deps check unit integration run clean bench bench-ingest \
        bench-processor fuzz faults docs-config compose-check
.DEFAULT_GOAL := all
# keep the unit tests' objects (otherwise make deletes them as intermediates)
.SECONDARY:

all: $(BINARIES)

$(OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# SQL migrations are compiled into the binaries so a container needs no sql/ folder.
$(OUT)/gen/migrations_data.c: $(MIGRATIONS) sql/embed.sh
	@mkdir -p $(dir $@)
	sh sql/embed.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(OUT)/obj/gen/migrations_data.o: $(OUT)/gen/migrations_data.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBDH): $(COMMON_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN)/dialhook-ingest: $(call obj,$(INGEST_SRC)) $(LIBDH)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BIN)/dialhook-processor: $(call obj,$(PROC_SRC)) $(LIBDH)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# dialhookctl stats reads the processor's dispatch table (types without a handler are "skipped").
CTL_PROC_OBJ := $(call obj,processor/dispatch.c processor/handlers.c processor/callrow.c \
                processor/columns.c processor/arena.c)
$(BIN)/dialhookctl: $(call obj,$(CTL_SRC)) $(CTL_PROC_OBJ) $(LIBDH)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Unit tests: one cmocka binary per test/unit/test_*.c, linked with common/ and the
# daemons' modules (everything but their main.c) for the tests that need them
# (the processor's dispatch and handlers, ingest's store and batching decisions).
PROC_PURE_OBJ   := $(call obj,$(filter-out processor/main.c,$(PROC_SRC)))
INGEST_PURE_OBJ := $(call obj,$(filter-out ingest/main.c,$(INGEST_SRC)))
$(OUT)/obj/test/%.o: ALL_CFLAGS += $(TEST_CFLAGS)
$(OUT)/test/%: $(OUT)/obj/test/unit/%.o $(PROC_PURE_OBJ) $(INGEST_PURE_OBJ) $(LIBDH)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS) -lcmocka

deps:
	@sh test/deps.sh

unit: $(UNIT_BIN)
	@sh test/run-unit.sh $(UNIT_BIN)

# make check: the layout check (first, so a style slip fails fast), the sanitizer build of
# everything, unit tests, the fuzz targets over their corpora (plus a short random run), the
# integration suite, the short fault suite.
check: deps
	@sh test/format-check.sh
	@$(MAKE) --no-print-directory SANITIZE=1 all unit-bins
	@$(MAKE) --no-print-directory SANITIZE=1 unit
	@sh test/fuzz/run.sh check
	@DIALHOOK_BIN_DIR=$(CURDIR)/build/san/bin sh test/run-integration.sh
	@DIALHOOK_BIN_DIR=$(CURDIR)/build/san/bin FAULTS_SCALE=short sh test/faults/run.sh

unit-bins: $(UNIT_BIN)
.PHONY: unit-bins

integration:
	@DIALHOOK_BIN_DIR=$(CURDIR)/$(BIN) sh test/run-integration.sh

run: deps all
	@sh test/run.sh

clean:
	rm -rf build bin

-include $(shell find $(OUT) -name '*.d' 2>/dev/null)

# Regenerate the option table in docs/configuration.md from the config table
# (test_schema.py fails when the two differ).
docs-config: $(BIN)/dialhookctl
	@$(BIN)/dialhookctl config-table > build/config-table.md
	@awk -v tbl=build/config-table.md ' \
	    /<!-- config-table:begin -->/ { print; while ((getline l < tbl) > 0) print l; skip = 1; next } \
	    /<!-- config-table:end -->/ { skip = 0 } !skip { print }' docs/configuration.md > build/configuration.md
	@mv build/configuration.md docs/configuration.md
	@echo "docs/configuration.md updated"

# The image and docker-compose.yml run for real, end to end (test/compose-check.sh):
# through DOCKER_HOST / a local Docker, else ../shared/tools/containers/compose-harness.sh.
# Prints "N passed, N failed"; docs/development.md says when to run it.
compose-check:
	@bash test/compose-check.sh

# Benchmarks (not tests): each script prints its figures and the command line;
# docs/benchmarks.md records them. bench-plots runs the sweeps behind the
# charts (ingest vs connections, processor vs batch size): tmp/bench-plots/*.dat
# and docs/img/bench-{ingest,processor}.png. make bench = all of them (~6 min on 2 cores).
.PHONY: bench-plots bench-plots-ingest bench-plots-processor
bench-ingest: deps all
	@sh test/deps.sh bench && sh test/bench/bench-ingest.sh

bench-processor: deps all
	@sh test/deps.sh bench && sh test/bench/bench-processor.sh && sh test/bench/bench-e2e.sh

bench-plots-ingest: deps all
	@sh test/deps.sh bench && sh test/bench/bench-plots.sh ingest

bench-plots-processor: deps all
	@sh test/deps.sh bench && sh test/bench/bench-plots.sh processor

bench-plots: bench-plots-ingest bench-plots-processor

bench: bench-ingest bench-processor bench-plots

# libFuzzer targets test/fuzz/fuzz_*.c, built with clang under build/fuzz/
# (ASan+UBSan). make fuzz: each target FUZZ_SECONDS (default 60) on its corpus,
# crashes saved in test/fuzz/crashes/; make fuzz-check: corpus + short random
# run, as make check does.
fuzz: deps
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) sh test/fuzz/run.sh fuzz

fuzz-check: deps
	@sh test/fuzz/run.sh check
.PHONY: fuzz-check

# Layout rules of the C sources (line length, whitespace): test/format-check.sh.
format-check:
	@sh test/format-check.sh
.PHONY: format-check

# Fault-injection suite (test/faults, issue 7): PostgreSQL -m immediate, kill -9,
# pg_terminate_backend, a full spool, hostile clients, 3 ingests x 3 processors,
# against the sanitizer build. make check runs its short form; docs/reliability.md.
faults: deps
	@$(MAKE) --no-print-directory SANITIZE=1 all
	@DIALHOOK_BIN_DIR=$(CURDIR)/build/san/bin FAULTS_SCALE=full sh test/faults/run.sh
