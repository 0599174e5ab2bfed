# rpod: `make demo` sets up and shows the main job; `make test` runs every check CI runs.
SHELL := /bin/bash
CARGO ?= cargo
RPOD := target/release/rpod

.PHONY: setup build demo test lint unit fuzz bench clean test-images

setup:
	@scripts/setup.sh

build: setup
	@echo "build: cargo build --release"
	@$(CARGO) build --release --quiet

demo: build
	@scripts/demo.sh $(RPOD)

lint: setup
	@echo "test: cargo fmt --check"
	@$(CARGO) fmt --all --check
	@echo "test: syscall tables are up to date (cargo xtask gen-syscalls --check)"
	@$(CARGO) xtask gen-syscalls --check
	@echo "test: no import cycles between modules, no printing in library code (cargo xtask layers)"
	@$(CARGO) xtask layers
	@echo "test: cargo clippy --all-targets -- -D warnings"
	@$(CARGO) clippy --workspace --all-targets --quiet -- -D warnings

unit: setup test-images
	@echo "test: cargo test --workspace, doc tests included (RPOD_TEST_REQUIRE=$${RPOD_TEST_REQUIRE:-unset})"
	@set -o pipefail; log=$$(mktemp); skips=$$(mktemp); export RPOD_TEST_SKIP_LOG=$$skips; \
	  { $(CARGO) test --workspace --all-targets --no-fail-fast; a=$$?; \
	    $(CARGO) test --workspace --doc --no-fail-fast; b=$$?; \
	    [ $$a -eq 0 ] && [ $$b -eq 0 ]; } 2>&1 | tee "$$log"; \
	  status=$${PIPESTATUS[0]}; \
	  if [ -s "$$skips" ]; then echo "test: skipped (a feature this machine lacks):"; sort -u "$$skips" | sed 's/^/  /'; fi; \
	  awk -v skipped="$$(cut -f2 "$$skips" | sort -u | wc -l)" \
	    '/^test result:/ { p += $$4; f += $$6; s += $$8 } \
	     END { printf "test: %d passed, %d failed, %d skipped\n", p - skipped, f, s + skipped }' "$$log"; \
	  rm -f "$$log" "$$skips"; exit $$status

# The real-workload images of engine/tests/workloads.rs, built once per machine with mmdebstrap
# and cached outside the clone (scripts/test-images.sh says where); as root only (the tests skip
# without root). Built here, one after the other, so a cold build is seen apart from the tests.
test-images: setup
	@if [ "$$(id -u)" -eq 0 ]; then \
	  echo "test: workload images (scripts/test-images.sh, cached in $${RPOD_TEST_IMAGES:-/var/cache/rpod-test-images})"; \
	  scripts/test-images.sh nginx redis python3 postgres >/dev/null; \
	else echo "test: workload images: not root, the workload tests skip"; fi

# Each fuzz target for a bounded time (scripts/fuzz.sh; docs/fuzzing.md), after the unit tests.
fuzz: setup
	@echo "test: fuzz targets, $${FUZZ_SECONDS:-35} s each (scripts/fuzz.sh)"
	@scripts/fuzz.sh

test: lint unit fuzz

bench: build
	@scripts/bench.sh

clean:
	$(CARGO) clean
