# SPDX-License-Identifier: GPL-3.0-or-later
# Makefile: the two set-up commands of the README, as thin wrappers over
# .ci/setup, CMake and ctest.
#   make demo   install what is missing, build, run the monthly Perpetrator
#               Panel cohort on the bundled sample force
#   make test   install what is missing, build (plain and with address +
#               undefined sanitizers), run the whole test suite
JOBS ?= 2
BUILD ?= build
ASAN_BUILD ?= build-asan

.PHONY: setup build demo test test-plain test-asan format-check clean

setup:
	bash .ci/setup

build: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	bash .ci/demo $(BUILD)

test-plain: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: setup
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	  -DHARMRANK_SANITIZE=ON -DHARMRANK_BUILD_BENCH=OFF >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

format-check: setup
	@files=$$(git ls-files '*.c' '*.h'); \
	if [ -n "$$files" ] && ! clang-format --dry-run -Werror $$files; then \
	  echo "format-check: run clang-format -i on the files above"; exit 1; fi

test: format-check test-plain test-asan
	@echo "make test: all suites passed"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
