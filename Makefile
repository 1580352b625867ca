# SPDX-License-Identifier: GPL-3.0-or-later
# Makefile: the two set-up commands of the README, as thin wrappers over
# .ci/setup, CMake, ctest and the scripts in .ci/.
#   make demo   install what is missing, build, run the monthly Perpetrator
#               Panel cohort on the bundled sample force
#   make test   install what is missing, build, run the whole test suite:
#               format check, unit/CLI tests, the same under address and
#               undefined-behaviour sanitizers (gcc and clang builds),
#               valgrind on the CLI golden cases, the install check
#               (.ci/install-check), the demo into a fresh folder and each
#               fuzz target for FUZZ_SECONDS (default 60)
# The release build (make build) has the allocation-failure hook and the
# bench off, as CMake's defaults do; the test builds turn both on (the ASan
# builds leave the bench out: it measures nothing under a sanitizer).
JOBS ?= 2
BUILD ?= build
ASAN_BUILD ?= build-asan
ASAN_CLANG_BUILD ?= build-asan-clang
INSTALL_BUILD ?= build-install
FUZZ_SECONDS ?= 60
export FUZZ_SECONDS

.PHONY: demo demo-months test setup setup-test build build-test test-plain test-asan \
	test-asan-clang test-valgrind test-install test-fuzz test-demo format-check clean

setup:
	bash .ci/setup

setup-test:
	bash .ci/setup --test

build: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DHARMRANK_BUILD_TESTS=OFF -DHARMRANK_FAULT_INJECTION=OFF \
	  -DHARMRANK_BUILD_BENCH=OFF >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	bash .ci/demo $(BUILD)

# Three past months of the panel for evaluate, history, monitor, verify.
demo-months: build
	bash .ci/demo-months $(BUILD)

build-test: setup-test
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DHARMRANK_BUILD_TESTS=ON -DHARMRANK_FAULT_INJECTION=ON \
	  -DHARMRANK_BUILD_BENCH=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test-plain: build-test
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: setup-test
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	  -DHARMRANK_SANITIZE=ON -DHARMRANK_FAULT_INJECTION=ON \
	  -DHARMRANK_BUILD_BENCH=OFF >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

# The same suite built by clang, whose UBSan checks more (e.g. arithmetic
# on a null pointer) than gcc's. clang leaves the sanitizer runtime out of
# shared libraries, so this build makes only the static one.
test-asan-clang: setup-test
	CC=clang cmake -S . -B $(ASAN_CLANG_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	  -DHARMRANK_SANITIZE=ON -DHARMRANK_FAULT_INJECTION=ON \
	  -DHARMRANK_BUILD_BENCH=OFF -DHARMRANK_BUILD_SHARED=OFF >/dev/null
	cmake --build $(ASAN_CLANG_BUILD) -j $(JOBS)
	cd $(ASAN_CLANG_BUILD) && ctest --output-on-failure -j $(JOBS)

test-valgrind: build-test
	bash .ci/valgrind $(BUILD)

# The README's first command, run as a newcomer runs it, into a fresh
# output folder whose parent does not exist yet; every output must appear.
test-demo: build-test
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	HARMRANK_DEMO_OUT="$$tmp/out/perpetrator-panel" bash .ci/demo $(BUILD) && \
	for f in cohort.csv movers.csv notes.csv manifest.json cohort.xlsx rejects.csv; do \
	  test -s "$$tmp/out/perpetrator-panel/$$f" || { echo "test-demo: $$f missing"; exit 1; }; \
	done && echo "test-demo: the demo wrote all six outputs"

# A release build with CMake's defaults, installed into a temporary prefix;
# a client program is built against it with pkg-config (shared and static)
# and the man page and shipped config are checked.
test-install: setup-test
	bash .ci/install-check $(INSTALL_BUILD) $(JOBS)

test-fuzz: setup-test
	bash .ci/fuzz

format-check: setup-test
	@files=$$(git ls-files '*.c' '*.h'); \
	if [ -n "$$files" ] && ! clang-format --dry-run -Werror $$files; then \
	  echo "format-check: run clang-format -i on the files above"; exit 1; fi


test: format-check test-plain test-demo test-asan test-asan-clang test-valgrind test-install test-fuzz
	@echo "make test: all suites passed"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(ASAN_CLANG_BUILD) $(INSTALL_BUILD) build-fuzz
