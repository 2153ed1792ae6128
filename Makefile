# Thin wrapper over Meson. The two commands of the README:
#   make demo   - install deps, build, run the self-contained demo
#   make check  - install deps, build (warnings as errors), run every test
BUILD ?= build
ASAN_BUILD ?= build-asan
MESON_FLAGS ?= --werror

.PHONY: all deps build demo check check-unit check-asan check-interop bench clean

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_FLAGS) -Dfault_inject=true

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	sh scripts/demo.sh $(BUILD)

check-unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs --num-processes 2

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) $(MESON_FLAGS) -Db_sanitize=address,undefined -Db_lundef=false

check-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	meson test -C $(ASAN_BUILD) --suite unit --print-errorlogs --num-processes 2
	meson test -C $(ASAN_BUILD) --suite interop-asan --print-errorlogs --num-processes 1

check-interop: build
	meson test -C $(BUILD) --suite interop --print-errorlogs --num-processes 1

check: check-unit check-asan check-interop

bench: build
	$(BUILD)/perf/esp-bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
