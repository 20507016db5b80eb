# Fuzz targets (test/fuzz/fuzz_*.c): libFuzzer with Debian's clang, ASan +
# UBSan, on the host (glibc).  mbedtls 3.6 and tpm2-tss 4.1 are built for
# this from the lock's sources (tools/build-host-libs.sh), instrumented
# too; json-c is Debian 12's (0.16, the stack's version).  What each target links is derived
# from its includes (test/link-deps.sh), like the unit tests.
# Included from the Makefile, whose BUILD, RESULTS, WARN, DEFS, INCLUDES,
# HOSTLIBS and host-libs it uses.
#
#   make fuzz [FUZZ_SECONDS=300] [FUZZ_TARGETS="rootsig slots"]
#       each target that long, the corpus kept in $(BUILD)/fuzz/corpus
#   make fuzz-test   (part of make test) each target 10 s from its seeds

FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_SECONDS  ?= 300
FUZZ_TARGETS  ?= $(patsubst test/fuzz/fuzz_%.c,%,$(wildcard test/fuzz/fuzz_*.c))
FUZZ_CFLAGS   := $(WARN) $(DEFS) $(INCLUDES) -Itest/fuzz -I$(HOSTLIBS)/include -g -O1 \
                 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                 -DFUZZ_DATA_DIR='"$(CURDIR)/test/fuzz/data"'
FUZZ_LIBS     := -L$(HOSTLIBS)/lib -lmbedtls -lmbedx509 -lmbedcrypto -ljson-c -ltss2-mu

.PHONY: fuzz fuzz-test

$(FUZZ_DIR)/fuzz_%: test/fuzz/fuzz_%.c $$(shell test/link-deps.sh test/fuzz/fuzz_$$*.c) $(wildcard test/fuzz/*.h) \
		$(HEADERS) test/fuzz/fuzz.mk | host-libs
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(filter %.c,$(wordlist 2,$(words $^),$^)) $(FUZZ_LIBS)

fuzz: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
	@test/fuzz/run-fuzz.sh $(FUZZ_DIR)/fuzz.txt $(FUZZ_SECONDS) $(FUZZ_DIR)/corpus $^

fuzz-test: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
	@mkdir -p $(RESULTS)
	@rm -rf $(FUZZ_DIR)/test-corpus
	@test/fuzz/run-fuzz.sh $(RESULTS)/fuzz.txt 10 $(FUZZ_DIR)/test-corpus $^
