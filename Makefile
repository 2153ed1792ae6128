# Thin wrapper over Meson. The two commands of the README:
#   make demo   - install deps, build, run the self-contained demo
#   make check  - install deps, build (warnings as errors), run every test
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
DEB_BUILD ?= build-deb
MESON_FLAGS ?= --werror
# The test build may show ESP keys to root (RAMPART_DEBUG_KEYS=1) for the e2e
# decoders, and has fault injection (a "fault" control command) for the fault
# tests; a production build is set up without either.
TEST_BUILD_FLAGS ?= -Ddebug_keys=true -Dfault_inject=true

.PHONY: all deps build demo check check-unit check-asan check-fuzz check-interop check-pkg deb bench clean

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_FLAGS) $(TEST_BUILD_FLAGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	sh scripts/demo.sh $(BUILD)

# meson test --suite S; under CI=true a skipped test or an empty suite fails.
MESON_TEST = /usr/bin/python3 scripts/test_honesty.py

check-unit: build
	$(MESON_TEST) $(BUILD) unit --print-errorlogs --num-processes 2

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) $(MESON_FLAGS) -Db_sanitize=address,undefined -Db_lundef=false

check-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	$(MESON_TEST) $(ASAN_BUILD) unit --print-errorlogs --num-processes 2
	$(MESON_TEST) $(ASAN_BUILD) interop-asan --print-errorlogs --num-processes 1

# libFuzzer targets (clang, ASan+UBSan), each for FUZZ_TIME seconds (default 30)
# on its seed corpus and regression inputs (tests/fuzz/meson.build).
$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false

check-fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	$(MESON_TEST) $(FUZZ_BUILD) fuzz --print-errorlogs --num-processes 1

check-interop: build
	$(MESON_TEST) $(BUILD) interop --print-errorlogs --num-processes 1

# The Debian package (production build, scripts/mkdeb.sh), then unpacked and
# checked: packaged binaries, sample configs, the unit, lintian.
deb: deps
	sh scripts/mkdeb.sh $(DEB_BUILD)

check-pkg: deb
	sh tests/pkg/test_deb.sh $(DEB_BUILD)

check: check-unit check-asan check-fuzz check-interop check-pkg

bench: build
	$(BUILD)/perf/esp-bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(DEB_BUILD)
