# Unit tests of lib/ code that needs the static stack (json-c, mbedtls 3.6),
# which exists only in the musl sysroot: built with $(MUSL_CC), static,
# against $(SYSROOT) and its cmocka (tools/build-stack.sh, TEST_ORDER).
# ASan does not work with musl: UBSan traps instead (gcc 12 spells it
# -fsanitize-undefined-trap-on-error), and every test is linked with
# test/libs/testutil.c, whose --wrap'ed malloc/free fail a case that leaks
# (testutil.h; also the shared swtpm).  Included from the Makefile, whose
# BUILD, SYSROOT, MUSL_CC, RESULTS, WARN, DEFS, INCLUDES, HEADERS and
# INIT_LIBS it uses.
#
#   make lib-unit-test    build, make fixtures, run; results in $(RESULTS)/lib-unit.txt

LIBTEST_DIR     := $(BUILD)/musl-test
LIBTEST_FIXTURES := $(LIBTEST_DIR)/fixtures
LIB_UNIT_TESTS  := test_rootsig test_boot_table test_repart_apply test_tpm2_token test_tpm2 test_luks

# What every test links besides itself, and what each links besides that.
LIBTEST_COMMON  := test/libs/testutil.c
test_rootsig_LIBSRCS    := lib/rootsig.c lib/log.c
test_boot_table_LIBSRCS := $(filter-out init/main.c,$(INIT_SRCS)) $(LIB_SRCS)
test_tpm2_token_LIBSRCS := lib/tpm2_token.c lib/tpm2.c lib/log.c
test_tpm2_LIBSRCS       := lib/tpm2.c lib/log.c
test_repart_apply_LIBSRCS := lib/repart_apply.c lib/repart.c lib/gpt.c lib/log.c
test_luks_LIBSRCS       := lib/luks.c lib/tpm2.c lib/tpm2_token.c lib/log.c

LIBTEST_CFLAGS  := $(WARN) $(DEFS) $(INCLUDES) -g -O1 -fno-omit-frame-pointer \
                   -fstack-protector-strong -fsanitize=undefined \
                   -fsanitize-undefined-trap-on-error \
                   -I$(SYSROOT)/include -isystem $(SYSROOT)/uapi
# testutil.c's allocation counting needs every test linked like this.
LIBTEST_LDFLAGS := -static -Wl,--wrap=malloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=free

.PHONY: lib-unit-test

# The Makefile enables this too (for its host tests); it is needed here
# whichever comes first.
.SECONDEXPANSION:

$(LIBTEST_DIR)/test_%: test/libs/test_%.c $$(test_%_LIBSRCS) $(LIBTEST_COMMON) test/libs/testutil.h $(HEADERS) \
		test/libs.mk | stack
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(LIBTEST_CFLAGS) $(LIBTEST_LDFLAGS) $(test_$*_LDFLAGS) -o $@ $< $(test_$*_LIBSRCS) $(LIBTEST_COMMON) \
		-L$(SYSROOT)/lib -lcmocka $(INIT_LIBS)

$(LIBTEST_FIXTURES)/.done: test/libs/rootsig-fixtures.sh
	@mkdir -p $(LIBTEST_DIR)
	test/libs/rootsig-fixtures.sh $(LIBTEST_FIXTURES)
	@touch $@

lib-unit-test: $(addprefix $(LIBTEST_DIR)/,$(LIB_UNIT_TESTS)) $(LIBTEST_FIXTURES)/.done
	@mkdir -p $(RESULTS)
	@RAMPART_TEST_FIXTURES=$(LIBTEST_FIXTURES) test/run-unit.sh $(RESULTS)/lib-unit.txt \
		$(addprefix $(LIBTEST_DIR)/,$(LIB_UNIT_TESTS))
