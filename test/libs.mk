# Unit tests of lib/ code that needs the static stack (json-c, mbedtls 3.6),
# which exists only in the musl sysroot: built with $(MUSL_CC), static,
# against $(SYSROOT) and its cmocka (tools/build-stack.sh, TEST_ORDER).
# ASan does not work with musl: UBSan traps instead (gcc 12 spells it
# -fsanitize-undefined-trap-on-error), and each test counts malloc/free
# through --wrap to catch leaks (test_rootsig).  Included from the Makefile, whose
# BUILD, SYSROOT, MUSL_CC, RESULTS, WARN, DEFS, INCLUDES, HEADERS and
# INIT_LIBS it uses.
#
#   make lib-unit-test    build, make fixtures, run; results in $(RESULTS)/lib-unit.txt

LIBTEST_DIR     := $(BUILD)/musl-test
LIBTEST_FIXTURES := $(LIBTEST_DIR)/fixtures
LIB_UNIT_TESTS  := test_rootsig test_boot_table test_repart_apply test_tpm2_token test_tpm2

# What each test links besides itself.
test_rootsig_LIBSRCS    := lib/rootsig.c lib/log.c
test_rootsig_LDFLAGS    := -Wl,--wrap=malloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=free
test_boot_table_LIBSRCS := $(filter-out init/main.c,$(INIT_SRCS)) $(LIB_SRCS)
test_tpm2_token_LIBSRCS := lib/tpm2_token.c lib/tpm2.c lib/log.c
test_tpm2_token_LDFLAGS := -Wl,--wrap=malloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=free
test_tpm2_LIBSRCS       := lib/tpm2.c lib/log.c
test_tpm2_LDFLAGS       := -Wl,--wrap=malloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=free
test_repart_apply_LIBSRCS := lib/repart_apply.c lib/repart.c lib/gpt.c lib/log.c

LIBTEST_CFLAGS  := $(WARN) $(DEFS) $(INCLUDES) -g -O1 -fno-omit-frame-pointer \
                   -fstack-protector-strong -fsanitize=undefined \
                   -fsanitize-undefined-trap-on-error \
                   -I$(SYSROOT)/include -isystem $(SYSROOT)/uapi
LIBTEST_LDFLAGS := -static

.PHONY: lib-unit-test

# The Makefile enables this too (for its host tests); it is needed here
# whichever comes first.
.SECONDEXPANSION:

$(LIBTEST_DIR)/test_%: test/libs/test_%.c $$(test_%_LIBSRCS) $(HEADERS) test/libs.mk | stack
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(LIBTEST_CFLAGS) $(LIBTEST_LDFLAGS) $(test_$*_LDFLAGS) -o $@ $< $(test_$*_LIBSRCS) \
		-L$(SYSROOT)/lib -lcmocka $(INIT_LIBS)

$(LIBTEST_FIXTURES)/.done: test/libs/rootsig-fixtures.sh
	@mkdir -p $(LIBTEST_DIR)
	test/libs/rootsig-fixtures.sh $(LIBTEST_FIXTURES)
	@touch $@

lib-unit-test: $(addprefix $(LIBTEST_DIR)/,$(LIB_UNIT_TESTS)) $(LIBTEST_FIXTURES)/.done
	@mkdir -p $(RESULTS)
	@RAMPART_TEST_FIXTURES=$(LIBTEST_FIXTURES) test/run-unit.sh $(RESULTS)/lib-unit.txt \
		$(addprefix $(LIBTEST_DIR)/,$(LIB_UNIT_TESTS))
