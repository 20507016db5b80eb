# Unit tests of lib/ code that needs the static stack (json-c, mbedtls 3.6),
# which exists only in the musl sysroot: built with $(MUSL_CC), static,
# against $(SYSROOT) and its cmocka (tools/build-stack.sh, TEST_ORDER).
# ASan does not work with musl: UBSan traps instead (gcc 12 spells it
# -fsanitize-undefined-trap-on-error), and every test is linked with
# test/stack/testutil.c, whose --wrap'ed malloc/free fail a case that leaks
# (testutil.h; also the shared swtpm), and with lib/wipe_alloc.c, whose
# wrap underneath them wipes what is freed, as in /init (lib/wipe.h).
# Included from the Makefile, whose BUILD, SYSROOT, MUSL_CC, RESULTS, WARN,
# DEFS, INCLUDES, HEADERS, INIT_LIBS and WIPE_ALLOC_LDFLAGS it uses.
#
#   make lib-unit-test    build, make fixtures, run; results in $(RESULTS)/lib-unit.txt

LIBTEST_DIR     := $(BUILD)/musl-test
LIBTEST_FIXTURES := $(LIBTEST_DIR)/fixtures
LIB_UNIT_TESTS  := $(patsubst test/stack/%.c,%,$(wildcard test/stack/test_*.c))

# What every test links besides itself; the rest is derived from its
# includes (test/link-deps.sh), never kept by hand.
LIBTEST_COMMON  := test/stack/testutil.c lib/wipe_alloc.c

LIBTEST_CFLAGS  := $(WARN) $(DEFS) $(INCLUDES) -g -O1 -fno-omit-frame-pointer \
                   -fstack-protector-strong -fsanitize=undefined \
                   -fsanitize-undefined-trap-on-error \
                   -I$(SYSROOT)/include -isystem $(SYSROOT)/uapi
# testutil.c's allocation counting needs every test linked like this.
LIBTEST_LDFLAGS := -static -Wl,--wrap=malloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=free \
                   $(WIPE_ALLOC_LDFLAGS)

.PHONY: lib-unit-test

# The Makefile enables this too (for its host tests); it is needed here
# whichever comes first.
.SECONDEXPANSION:

$(LIBTEST_DIR)/test_%: test/stack/test_%.c $$(shell test/link-deps.sh test/stack/test_$$*.c) $(LIBTEST_COMMON) \
		test/stack/testutil.h $(HEADERS) test/stack.mk test/link-deps.sh | stack
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(LIBTEST_CFLAGS) $(LIBTEST_LDFLAGS) $(test_$*_LDFLAGS) -o $@ $< \
		$(filter-out $< $(LIBTEST_COMMON),$(filter %.c,$^)) $(LIBTEST_COMMON) \
		-L$(SYSROOT)/lib -lcmocka $(INIT_LIBS)

$(LIBTEST_FIXTURES)/.done: test/stack/rootsig-fixtures.sh keys/selfsign.sh
	@mkdir -p $(LIBTEST_DIR)
	test/stack/rootsig-fixtures.sh $(LIBTEST_FIXTURES)
	@touch $@

lib-unit-test: $(addprefix $(LIBTEST_DIR)/,$(LIB_UNIT_TESTS)) $(LIBTEST_FIXTURES)/.done
	@mkdir -p $(RESULTS)
	@RAMPART_TEST_FIXTURES=$(LIBTEST_FIXTURES) test/run-unit.sh $(RESULTS)/lib-unit.txt \
		$(addprefix $(LIBTEST_DIR)/,$(LIB_UNIT_TESTS))
