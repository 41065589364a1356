# proptalk - build, test, demo.  See README.md.
#
#   make            build/proptalk (release, -O2)
#   make test       the whole suite under ASan+UBSan (unit, black-box, short fuzz)
#   make demo       install missing Debian packages, build, serve the demo tenants
#   make fuzz       long libFuzzer runs (FUZZ_SECONDS each, default 300)
#   make bench      the benchmarks of bench/ (see BENCHMARKS.md)

CC      ?= cc
# build in parallel on every core unless the caller chose -j
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif
PKGS    := libmicrohttpd sqlite3 jansson libsodium libutf8proc libjwt libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2 -Wvla
CFLAGS_COMMON := -std=gnu11 -Isrc -include src/util/banned.h $(WARN) $(PKG_CFLAGS) -D_GNU_SOURCE -pthread
CFLAGS_REL  := $(CFLAGS_COMMON) -O2 -g
CFLAGS_ASAN := $(CFLAGS_COMMON) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDLIBS  := $(PKG_LIBS) -lm -pthread

SRC_ALL := $(shell find src -name '*.c' | sort)
SRC_LIB := $(filter-out src/main.c,$(SRC_ALL))
OBJ_REL := $(SRC_LIB:src/%.c=build/obj/%.o)
OBJ_ASAN := $(SRC_LIB:src/%.c=build/asan/obj/%.o)
OBJ_FUZZ := $(SRC_LIB:src/%.c=build/fuzz/obj/%.o)
OBJ_TSAN := $(SRC_LIB:src/%.c=build/tsan/obj/%.o)
# ThreadSanitizer: the unit tests that run threads (make tsan, part of make test)
CFLAGS_TSAN := $(CFLAGS_COMMON) -O1 -g -fsanitize=thread
CFLAGS_FUZZ := $(CFLAGS_COMMON) -O1 -g -fno-omit-frame-pointer
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
# the unit tests whose code runs on several threads: again under TSan
TSAN_TESTS := test_commit test_lock test_http test_store test_import test_sqlite_vfs \
              test_listing_cache test_admin test_embed
TSAN_BIN := $(TSAN_TESTS:%=build/tsan/tests/%)

.PHONY: all test unit tsan blackbox demo fuzz fuzz-build bench eval clean

all: build/proptalk

build/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS_REL) -MMD -MP -c $< -o $@

build/asan/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "CC [asan] $<"
	@$(CC) $(CFLAGS_ASAN) -MMD -MP -c $< -o $@

build/libproptalk.a: $(OBJ_REL)
	@rm -f $@
	@ar rcs $@ $^

build/asan/libproptalk.a: $(OBJ_ASAN)
	@rm -f $@
	@ar rcs $@ $^

build/proptalk: src/main.c build/libproptalk.a
	@echo "LD $@"
	@$(CC) $(CFLAGS_REL) $< build/libproptalk.a -o $@ $(LDLIBS)

build/asan/proptalk: src/main.c build/asan/libproptalk.a
	@echo "LD $@"
	@$(CC) $(CFLAGS_ASAN) $< build/asan/libproptalk.a -o $@ $(LDLIBS)

build/asan/tests/%: tests/unit/%.c tests/unit/test.h build/asan/libproptalk.a
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(CFLAGS_ASAN) -Itests/unit $< build/asan/libproptalk.a -o $@ $(LDLIBS)

build/tsan/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "CC [tsan] $<"
	@$(CC) $(CFLAGS_TSAN) -MMD -MP -c $< -o $@

build/tsan/libproptalk.a: $(OBJ_TSAN)
	@rm -f $@
	@ar rcs $@ $^

build/tsan/tests/%: tests/unit/%.c tests/unit/test.h build/tsan/libproptalk.a
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(CFLAGS_TSAN) -Itests/unit $< build/tsan/libproptalk.a -o $@ $(LDLIBS)

build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "CC [fuzz] $<"
	@clang $(CFLAGS_FUZZ) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@

build/fuzz/libproptalk.a: $(OBJ_FUZZ)
	@rm -f $@
	@ar rcs $@ $^

build/fuzz/%: fuzz/%.c build/fuzz/libproptalk.a
	@echo "LD $@"
	@clang $(CFLAGS_FUZZ) -fsanitize=fuzzer,address,undefined $< build/fuzz/libproptalk.a -o $@ $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/run_fuzz.sh

unit: $(UNIT_BIN)
	@tests/run_unit.sh $(UNIT_BIN)

tsan: $(TSAN_BIN)
	@TSAN_OPTIONS=$${TSAN_OPTIONS:-halt_on_error=1} tests/run_unit.sh $(TSAN_BIN)

blackbox: build/asan/proptalk
	@PROPTALK_BIN=$(CURDIR)/build/asan/proptalk python3 tests/blackbox/run.py

test: build/proptalk build/asan/proptalk $(UNIT_BIN) $(TSAN_BIN) $(FUZZ_BIN)
	@tests/run_all.sh

# bench/*.c programs (see BENCHMARKS.md), against the release library
build/bench/%: bench/%.c build/libproptalk.a
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(CFLAGS_REL) -Wno-unused-function $< build/libproptalk.a -o $@ $(LDLIBS)

# search_bench also needs the inventory generator beside it
build/bench/search_bench: bench/search_bench.c bench/search_inventory.c bench/search_inventory.h build/libproptalk.a
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(CFLAGS_REL) -Ibench -Wno-unused-function bench/search_bench.c bench/search_inventory.c build/libproptalk.a -o $@ $(LDLIBS)

demo:
	@tools/install-deps.sh
	@$(MAKE) --no-print-directory all
	./build/proptalk serve --demo --port 8080 --bind 127.0.0.1

clean:
	rm -rf build

-include $(OBJ_REL:.o=.d) $(OBJ_ASAN:.o=.d) $(OBJ_FUZZ:.o=.d) $(OBJ_TSAN:.o=.d)

# ---- NLU evaluation and benchmark (issue 3; see docs/nlu.md) ----
# `make eval` scores the held-out sets of tests/data (test split) and, when
# the public intent benchmarks are present, BANKING77 / HWU64 / CLINC150.
DATASETS ?= $(CURDIR)/../shared/datasets
EVAL_SPLIT ?= test

build/eval/nlu_eval: tests/eval/eval.c tests/eval/nlu_eval.c tests/eval/nlu_eval.h build/libproptalk.a
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(CFLAGS_REL) -Itests/eval tests/eval/eval.c tests/eval/nlu_eval.c build/libproptalk.a -o $@ $(LDLIBS)

eval: build/eval/nlu_eval
	@build/eval/nlu_eval --split $(EVAL_SPLIT) $(if $(wildcard $(DATASETS)/banking77_train.json),--public $(DATASETS),)

build/bench/nlu_bench: bench/nlu_bench.c tests/eval/nlu_eval.c tests/eval/nlu_eval.h build/libproptalk.a
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(CFLAGS_REL) -Itests/eval bench/nlu_bench.c tests/eval/nlu_eval.c build/libproptalk.a -o $@ $(LDLIBS)

# one core, as BENCHMARKS.md reports it
.PHONY: bench-nlu
bench-nlu: build/bench/nlu_bench
	@taskset -c 0 build/bench/nlu_bench

# ---- benchmarks (see BENCHMARKS.md; never part of `make test`) ----
bench: build/proptalk build/bench/turn_write build/bench/nlu_bench build/bench/chat_turns
	@echo "== store: turns written per commit (1, 4, 16, 64)"
	@for b in 1 4 16 64; do build/bench/turn_write 4000 $$b 1000 2>/dev/null; done
	@echo "== engine: CPU per turn without HTTP"
	@build/bench/chat_turns 500 2>/dev/null
	@echo "== nlu, one core"
	@taskset -c 0 build/bench/nlu_bench
	@echo "== chat over HTTP against /health (bench/chat_load.sh)"
	@bench/chat_load.sh 10 full
