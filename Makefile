# rampart — see README.md.  `make run` builds and boots; `make test` runs every test.

BUILD       ?= build
VERSION     := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
SYSROOT     := $(shell tools/build-stack.sh path)
MUSL_CC     ?= musl-gcc
HOST_CC     ?= gcc

WARN        := -Wall -Wextra -Werror -std=gnu11
DEFS        := -DRAMPART_VERSION='"$(VERSION)"' -D_GNU_SOURCE
INCLUDES    := -Ilib -Iinit

# /init: static musl, against the project-built sysroot.
INIT_CFLAGS := $(WARN) $(DEFS) $(INCLUDES) -Os -ffunction-sections -fdata-sections \
               -I$(SYSROOT)/include -isystem $(SYSROOT)/uapi
INIT_LDFLAGS := -static -Wl,--gc-sections
INIT_LIBS    = $(shell cat $(SYSROOT)/link-flags 2>/dev/null)

# Host unit tests: glibc + ASan + UBSan.
HOST_CFLAGS := $(WARN) $(DEFS) $(INCLUDES) -g -O1 -fsanitize=address,undefined \
               -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRCS    := $(wildcard lib/*.c)
INIT_SRCS   := $(wildcard init/*.c)
INIT_OBJS   := $(patsubst %.c,$(BUILD)/musl/%.o,$(LIB_SRCS) $(INIT_SRCS))
HEADERS     := $(wildcard lib/*.h init/*.h)

UNIT_TESTS  := $(patsubst test/unit/%.c,%,$(wildcard test/unit/test_*.c))

.PHONY: all init stack host-deps test unit-test qemu-smoke run clean distclean

all: init

host-deps:
	@tools/host-deps.sh

stack: host-deps
	@tools/build-stack.sh build

init: $(BUILD)/init
	@size=$$(stat -c %s $(BUILD)/init); \
	 echo "init: $(BUILD)/init $$size bytes stripped, $$(file -b $(BUILD)/init | grep -o 'statically linked' || echo 'NOT statically linked')"

$(BUILD)/init: $(INIT_OBJS) | stack
	$(MUSL_CC) $(INIT_LDFLAGS) -o $@.unstripped $(INIT_OBJS) $(INIT_LIBS)
	strip -o $@ $@.unstripped

$(BUILD)/musl/%.o: %.c $(HEADERS) | stack
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(INIT_CFLAGS) -c -o $@ $<

# ---- tests ------------------------------------------------------------------

RESULTS := $(BUILD)/test-results

# What each unit test links besides itself.
test_cmdline_SRCS    := lib/cmdline.c lib/log.c
test_log_SRCS        := lib/log.c
test_machine_SRCS    := lib/machine.c
test_slots_SRCS      := lib/slots.c lib/gpt.c
test_boot_table_SRCS := init/states.c $(LIB_SRCS)

.SECONDEXPANSION:
$(BUILD)/host/%: test/unit/%.c $$(%_SRCS) $(HEADERS) | host-deps
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $($*_SRCS) -lcmocka

unit-test: $(addprefix $(BUILD)/host/,$(UNIT_TESTS))
	@mkdir -p $(RESULTS)
	@test/run-unit.sh $(RESULTS)/unit.txt $^

qemu-smoke: $(BUILD)/init
	@mkdir -p $(RESULTS)
	@BUILD=$(BUILD) tools/qemu-smoke.sh $(RESULTS)/qemu-smoke.txt

test: host-deps
	@rm -rf $(RESULTS)
	$(MAKE) --no-print-directory init
	$(MAKE) --no-print-directory unit-test
	$(MAKE) --no-print-directory qemu-smoke
	@test/summary.sh $(RESULTS)

run: $(BUILD)/init
	@BUILD=$(BUILD) tools/qemu-smoke.sh --interactive

clean:
	rm -rf $(BUILD)

# Also forgets the cached stack and downloads (they are rebuilt on the next make).
distclean: clean
	rm -rf "$${RAMPART_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/rampart}"
