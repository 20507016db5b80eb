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
#   make lib-unit-test-asan   the same tests built for glibc with clang, ASan
#                         + UBSan (LeakSanitizer checks each case), against
#                         tools/build-host-libs.sh's mbedtls and tpm2-tss (the
#                         stack's versions) and Debian 12's json-c, cmocka,
#                         libcryptsetup (2.6), libblkid and libfdisk (2.38);
#                         results in $(RESULTS)/lib-unit-asan.txt.  Not
#                         test_secret_memory: it checks musl's free() wipes
#                         through lib/wipe_alloc.c's wrap of __libc_free,
#                         which glibc does not have.

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

# ---- the same tests under ASan (glibc) -----------------------------------------

ASANTEST_DIR   := $(BUILD)/asan-test
ASAN_UNIT_TESTS := $(filter-out test_secret_memory,$(LIB_UNIT_TESTS))
# clang warns about designated initializers that leave fields out (gcc does not).
ASANTEST_CFLAGS := $(WARN) -Wno-missing-field-initializers $(DEFS) $(INCLUDES) -I$(HOSTLIBS)/include \
                   -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
ASANTEST_LIBS  := -L$(HOSTLIBS)/lib -lcmocka -lcryptsetup -lfdisk -lblkid -ljson-c -luuid \
                  -ltss2-esys -ltss2-sys -ltss2-tctildr -ltss2-tcti-device -ltss2-tcti-swtpm -ltss2-mu \
                  -ltss2-rc -lmbedtls -lmbedx509 -lmbedcrypto

.PHONY: lib-unit-test-asan

$(ASANTEST_DIR)/test_%: test/stack/test_%.c $$(shell test/link-deps.sh test/stack/test_$$*.c) \
		test/stack/testutil.c test/stack/testutil.h $(HEADERS) test/stack.mk test/link-deps.sh | host-libs
	@mkdir -p $(dir $@)
	clang $(ASANTEST_CFLAGS) -o $@ $< $(filter-out $< test/stack/testutil.c,$(filter %.c,$^)) \
		test/stack/testutil.c $(ASANTEST_LIBS)

lib-unit-test-asan: $(addprefix $(ASANTEST_DIR)/,$(ASAN_UNIT_TESTS)) $(LIBTEST_FIXTURES)/.done
	@mkdir -p $(RESULTS)
	@RAMPART_TEST_FIXTURES=$(LIBTEST_FIXTURES) test/run-unit.sh $(RESULTS)/lib-unit-asan.txt \
		$(addprefix $(ASANTEST_DIR)/,$(ASAN_UNIT_TESTS))
	@sed -i 's/^\(PASS\|FAIL\) /\1 asan: /' $(RESULTS)/lib-unit-asan.txt
