# Thin wrapper over CMake. `make demo` and `make test` work on a fresh Debian 12 machine:
# both first install whatever is missing (scripts/setup.sh), then build.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2
CTEST_LABELS = unit|conformance|integration|fuzz-smoke
GENERATOR  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all deps build build-asan test test-fast test-asan demo bench fuzz format clean

all: build

deps:
	@./scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(ASAN_BUILD)/CMakeCache.txt:
	CC=clang CXX=clang++ cmake -S . -B $(ASAN_BUILD) $(GENERATOR) \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGH_SANITIZE=ON

build: deps
	@$(MAKE) --no-print-directory $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@$(MAKE) --no-print-directory $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# Every suite in the gcc build, then again under clang with ASan+UBSan (libFuzzer there).
test: build
	cd $(BUILD) && ctest -j$(JOBS) -L '$(CTEST_LABELS)' --output-on-failure
	@$(MAKE) --no-print-directory test-asan

# The gcc build's suites only, without the sanitizer pass.
test-fast: build
	cd $(BUILD) && ctest -j$(JOBS) -L '$(CTEST_LABELS)' --output-on-failure

test-asan: build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest -j$(JOBS) -L '$(CTEST_LABELS)' --output-on-failure

demo: build
	@./scripts/demo.sh $(BUILD)/gatehouse

bench: build
	@./scripts/bench.sh $(BUILD)

# Long fuzzing by hand: make fuzz TARGET=fuzz_parse SECONDS=600
TARGET  ?= fuzz_parse
SECONDS ?= 600
fuzz: build-asan
	mkdir -p $(ASAN_BUILD)/fuzz-work/$(TARGET:fuzz_%=%)
	$(ASAN_BUILD)/tests/fuzz/$(TARGET) -max_total_time=$(SECONDS) -timeout=10 -print_final_stats=1 \
	    $(ASAN_BUILD)/fuzz-work/$(TARGET:fuzz_%=%) tests/fuzz/corpus/$(TARGET:fuzz_%=%)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
