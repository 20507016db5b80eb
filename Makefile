# rampart — see README.md.  `make run` builds and boots; `make test` runs every test.

BUILD       ?= build
VERSION     := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
# The stack's cache key needs musl-gcc: on a fresh machine (any target,
# make run as well as make test) the host packages come first.
SYSROOT     := $(shell tools/build-stack.sh path 2>/dev/null || \
                 { tools/host-deps.sh >&2 && tools/build-stack.sh path; })
MUSL_CC     ?= musl-gcc
HOST_CC     ?= gcc

# Key sets: bring your own with KEYDIR=/path (see keys/README.md).
KEYDIR       ?= $(BUILD)/keys
ROGUE_KEYDIR ?= $(BUILD)/keys-rogue
IMAGE_VERSION ?= 1.0

# Every artefact's time stamps come from the commit, so two builds of one
# commit are bit-identical (make repro-check).
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH

WARN        := -Wall -Wextra -Werror -std=gnu11
DEFS        := -DRAMPART_VERSION='"$(VERSION)"' -D_GNU_SOURCE
INCLUDES    := -Ilib -Iinit

# /init: static musl, against the project-built sysroot.
INIT_CFLAGS := $(WARN) $(DEFS) $(INCLUDES) -Os -ffunction-sections -fdata-sections \
               -I$(SYSROOT)/include -isystem $(SYSROOT)/uapi
INIT_LDFLAGS := -static -Wl,--gc-sections
# free() and realloc() wipe what they release (lib/wipe.h, lib/wipe_alloc.c):
# /init and the stack tests.
WIPE_ALLOC_LDFLAGS := -Wl,--wrap=__libc_free,--wrap=__libc_realloc
INIT_LIBS    = $(shell cat $(SYSROOT)/link-flags 2>/dev/null)

# Host unit tests: glibc + ASan + UBSan.
HOST_CFLAGS := $(WARN) $(DEFS) $(INCLUDES) -g -O1 -fsanitize=address,undefined \
               -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRCS    := $(wildcard lib/*.c)
INIT_SRCS   := $(wildcard init/*.c)
INIT_OBJS   := $(patsubst %.c,$(BUILD)/musl/%.o,$(LIB_SRCS) $(INIT_SRCS))
HEADERS     := $(wildcard lib/*.h init/*.h)

UNIT_TESTS  := $(patsubst test/host/%.c,%,$(wildcard test/host/test_*.c))

.PHONY: all init stack stack-repro host-deps test unit-test lib-unit-test image-test qemu-smoke qemu-test \
	sbom sbom-check repro-check check-layout images run run-reset bench clean distclean

all: init

host-deps:
	@tools/host-deps.sh

stack: host-deps
	@tools/build-stack.sh build

# Two clean builds of the stack in two caches; run by hand (about 7 min).
stack-repro: host-deps
	@tools/stack-repro.sh

init: $(BUILD)/init
	@size=$$(stat -c %s $(BUILD)/init); \
	 echo "init: $(BUILD)/init $$size bytes stripped, $$(file -b $(BUILD)/init | grep -o 'statically linked' || echo 'NOT statically linked')"

$(BUILD)/init: $(INIT_OBJS) | stack
	$(MUSL_CC) $(INIT_LDFLAGS) $(WIPE_ALLOC_LDFLAGS) -o $@.unstripped $(INIT_OBJS) $(INIT_LIBS)
	@nm $@.unstripped | grep -q ' T __wrap___libc_free$$' || \
		{ echo "$@: not linked with WIPE_ALLOC_LDFLAGS, free() would not wipe"; exit 1; }
	strip -o $@ $@.unstripped

$(BUILD)/musl/%.o: %.c $(HEADERS) | stack
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(INIT_CFLAGS) $(LIB_CODE) -c -o $@ $<

# lib/ logs at debug only (lib/log.h holds it to that); log.c is the logger.
$(BUILD)/musl/lib/%.o: LIB_CODE := -DRAMPART_LIB_CODE
$(BUILD)/musl/lib/log.o: LIB_CODE :=

# ---- tests ------------------------------------------------------------------

RESULTS := $(BUILD)/test-results

# Pure tests (test/host/): what each links is derived from its includes
# (test/link-deps.sh), never kept by hand.
.SECONDEXPANSION:
$(BUILD)/host/%: test/host/%.c $$(shell test/link-deps.sh test/host/$$*.c) $(HEADERS) test/link-deps.sh | host-deps
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $(filter %.c,$(wordlist 2,$(words $^),$^)) -lcmocka

unit-test: $(addprefix $(BUILD)/host/,$(UNIT_TESTS))
	@mkdir -p $(RESULTS)
	@test/run-unit.sh $(RESULTS)/unit.txt $^
	@test/check-refusal-ids.sh $(RESULTS)/refusal-ids.txt
	@test/check-gpt-guids.sh $(RESULTS)/gpt-guids.txt

# Includes and calls in init/ run one way; lib/ never reaches into init/.
check-layout: $(BUILD)/init
	@mkdir -p $(RESULTS)
	@test/check-layout.sh $(RESULTS)/layout.txt $(BUILD)/musl/init

# The stack's mbedtls and tpm2-tss built for the host with clang and the
# sanitizers, for the fuzz targets and the ASan build of the stack tests.
HOSTLIBS := $(shell tools/build-host-libs.sh path)
.PHONY: host-libs
host-libs: | host-deps
	@tools/build-host-libs.sh build

# Unit tests of code that needs the static stack: musl, against the sysroot.
include test/stack.mk

# Fuzz targets of every parser of attacker-controlled bytes (make fuzz).
include test/fuzz/fuzz.mk

# Host checks of the image tools (mkroot, mkdisk): reproducibility, verity, signatures.
image-test: | host-deps
	@mkdir -p $(RESULTS)
	@tools/testos/check-images.sh > $(BUILD)/image-test.log 2>&1; \
	 grep -E '^FAIL' $(BUILD)/image-test.log; \
	 echo "image-test: $$(grep -c '^PASS' $(BUILD)/image-test.log) checks passed (log: $(BUILD)/image-test.log)"; \
	 grep -E '^(PASS|FAIL) ' $(BUILD)/image-test.log | sed 's/^\(PASS\|FAIL\) /\1 image: /' > $(RESULTS)/image.txt; \
	 grep -qE '^[0-9]+ passed, 0 failed$$' $(BUILD)/image-test.log || \
		echo "FAIL image: check-images.sh did not finish cleanly (log: $(BUILD)/image-test.log)" >> $(RESULTS)/image.txt

qemu-smoke: $(BUILD)/init
	@mkdir -p $(RESULTS)
	@BUILD=$(BUILD) tools/qemu-smoke.sh $(RESULTS)/qemu-smoke.txt

test: host-deps
	@rm -rf $(RESULTS)
	$(MAKE) --no-print-directory init
	$(MAKE) --no-print-directory check-layout
	$(MAKE) --no-print-directory unit-test
	$(MAKE) --no-print-directory lib-unit-test
	$(MAKE) --no-print-directory lib-unit-test-asan
	$(MAKE) --no-print-directory fuzz-test
	$(MAKE) --no-print-directory image-test
	$(MAKE) --no-print-directory sbom-check
	$(MAKE) --no-print-directory repro-check
	$(MAKE) --no-print-directory qemu-smoke
	$(MAKE) --no-print-directory qemu-test
	@test/summary.sh $(RESULTS)

# ---- boot artefacts -----------------------------------------------------------

# The kernel: Debian's signed image, unpacked in the cache; this file names it.
$(BUILD)/kernel.dir: tools/kernel.sh tools/lib.sh | host-deps
	@mkdir -p $(BUILD)
	tools/kernel.sh > $@.tmp && mv $@.tmp $@
KERNEL_DIR = $(shell cat $(BUILD)/kernel.dir)

$(KEYDIR)/db.crt $(KEYDIR)/image.der:
	keys/make-keys.sh $(KEYDIR)
# A key set made before recovery keys were escrowed gets an escrow key pair of its own.
$(KEYDIR)/escrow.crt: | $(KEYDIR)/db.crt
	test -e $@ || keys/make-keys.sh --escrow-only $(KEYDIR)
$(ROGUE_KEYDIR)/db.crt:
	keys/make-keys.sh $(ROGUE_KEYDIR)

$(BUILD)/ovmf/vars.fd: $(KEYDIR)/db.crt tools/ovmf-vars.sh tools/lib.sh
	@mkdir -p $(dir $@)
	tools/ovmf-vars.sh $(KEYDIR) $@

# /init, the certificates root images may be signed with, the escrow
# certificate recovery keys are encrypted to, mke2fs for first-boot /var,
# the partition definitions.  The production initramfs has nothing else:
# its command line cannot reach a shell, so it carries none.  The debug
# one (debug UKI, scenarios whose command line enables the shell) adds
# busybox.
REPART_DEFS := $(sort $(wildcard initramfs/repart.d/*.conf))
INITRAMFS_DEPS := $(BUILD)/init $(BUILD)/kernel.dir $(KEYDIR)/image.der $(KEYDIR)/escrow.crt initramfs/build.sh \
	initramfs/modules.list $(REPART_DEFS)
INITRAMFS_FILES = $(KEYDIR)/image.der=etc/rampart/trusted/image.der $(KEYDIR)/escrow.crt=etc/rampart/escrow.crt \
	$(SYSROOT)/sbin/mke2fs=sbin/mke2fs $(foreach f,$(REPART_DEFS),$(f)=etc/rampart/repart.d/$(notdir $(f)))
INITRAMFS_DEBUG_FILES := /bin/busybox=bin/busybox
$(BUILD)/initramfs.zst: $(INITRAMFS_DEPS)
	initramfs/build.sh $@ $(KERNEL_DIR) $(BUILD)/init $(INITRAMFS_FILES)
$(BUILD)/initramfs-debug.zst: $(INITRAMFS_DEPS)
	initramfs/build.sh $@ $(KERNEL_DIR) $(BUILD)/init $(INITRAMFS_FILES) $(INITRAMFS_DEBUG_FILES)

# The initramfs's SBOM (CycloneDX 1.5 JSON), beside it: every file with its
# sha256; the stack's Debian source packages with their .dsc and patches;
# the kernel package (the production initramfs: no busybox).
SBOM := $(BUILD)/initramfs.cdx.json
$(SBOM): $(BUILD)/initramfs.zst tools/sbom.py
	tools/sbom.py --files $<.files.tsv --stack $(SYSROOT)/manifest.tsv \
		--kernel $(KERNEL_DIR)/package \
		--name rampart-initramfs --version $(IMAGE_VERSION) --rampart-version $(VERSION) \
		--image $< --out $@
sbom: $(SBOM)

# Validates the SBOM against the published CycloneDX 1.5 schema, and that
# the validator refuses a damaged copy (so a pass means something).
sbom-check: $(SBOM)
	@mkdir -p $(RESULTS)
	@test/sbom-check.sh $(SBOM) $(RESULTS)/sbom.txt

# Builds the boot artefacts twice (two build directories, two times) and
# compares them.
repro-check: | host-deps
	@mkdir -p $(RESULTS)
	@BUILD=$(BUILD) KEYDIR=$(KEYDIR) tools/repro-check.sh $(RESULTS)/repro.txt

# The debug UKI gets the initramfs with the shell; every other one the production initramfs.
uki_initrd = $(BUILD)/initramfs$(if $(filter debug,$(1)),-debug).zst
.SECONDEXPANSION:
$(BUILD)/uki/%.unsigned.efi: uki/cmdline.% $$(call uki_initrd,$$*) uki/build.sh uki/os-release.in
	@mkdir -p $(dir $@)
	uki/build.sh --kernel $(KERNEL_DIR)/boot/vmlinuz-* --initrd $(call uki_initrd,$*) \
		--cmdline $< --os-release uki/os-release.in --version-id $(IMAGE_VERSION) \
		--unsigned --out $@

$(BUILD)/uki/%.efi: uki/cmdline.% $$(call uki_initrd,$$*) $(KEYDIR)/db.crt uki/build.sh uki/os-release.in
	@mkdir -p $(dir $@)
	uki/build.sh --kernel $(KERNEL_DIR)/boot/vmlinuz-* --initrd $(call uki_initrd,$*) \
		--cmdline $< --os-release uki/os-release.in --version-id $(IMAGE_VERSION) \
		--key $(KEYDIR)/db.key --cert $(KEYDIR)/db.crt --out $@

# The test OS carries rampart's binary for its try-unseal check.
$(BUILD)/images/root-%.erofs: tools/mkroot.sh tools/lib.sh tools/testos/init $(BUILD)/init
	@mkdir -p $(dir $@)
	RAMPART_TOOL=$(abspath $(BUILD)/init) tools/mkroot.sh $@ $*

# mkdisk.sh reads the GPT type GUIDs from lib/gpt.h.
MKDISK := tools/mkdisk.sh tools/lib.sh lib/gpt.h

# The image a user ships: ESP with the production UKI, one signed root slot.
$(BUILD)/images/base.img: $(BUILD)/uki/production.efi $(BUILD)/images/root-$(IMAGE_VERSION).erofs $(MKDISK)
	tools/mkdisk.sh --out $@ --esp-file $(BUILD)/uki/production.efi \
		--root $(BUILD)/images/root-$(IMAGE_VERSION).erofs --version $(IMAGE_VERSION) \
		--sign-key $(KEYDIR)/image.key --sign-cert $(KEYDIR)/image.crt

# Test images (the scenarios put a UKI with their own command line on the ESP).
MKDISK_ESP = --esp-file $(BUILD)/uki/production.efi
$(BUILD)/images/ab.img: $(BUILD)/uki/production.efi $(BUILD)/images/root-1.0.erofs $(BUILD)/images/root-2.0.erofs $(MKDISK)
	tools/mkdisk.sh --out $@ $(MKDISK_ESP) --root $(BUILD)/images/root-1.0.erofs --version 1.0 \
		--root2 $(BUILD)/images/root-2.0.erofs --version2 2.0 \
		--sign-key $(KEYDIR)/image.key --sign-cert $(KEYDIR)/image.crt
$(BUILD)/images/rogue-signed.img: $(BUILD)/uki/production.efi $(BUILD)/images/root-1.0.erofs $(ROGUE_KEYDIR)/db.crt $(MKDISK)
	tools/mkdisk.sh --out $@ $(MKDISK_ESP) --root $(BUILD)/images/root-1.0.erofs --version 1.0 \
		--sign-key $(ROGUE_KEYDIR)/image.key --sign-cert $(ROGUE_KEYDIR)/image.crt
$(BUILD)/images/foreign-rogue.img: $(BUILD)/uki/production.efi $(BUILD)/images/root-9.0.erofs $(ROGUE_KEYDIR)/db.crt $(MKDISK)
	tools/mkdisk.sh --out $@ $(MKDISK_ESP) --root $(BUILD)/images/root-9.0.erofs --version 9.0 \
		--sign-key $(ROGUE_KEYDIR)/image.key --sign-cert $(ROGUE_KEYDIR)/image.crt
$(BUILD)/images/foreign-ours.img: $(BUILD)/uki/production.efi $(BUILD)/images/root-9.0.erofs $(MKDISK)
	tools/mkdisk.sh --out $@ $(MKDISK_ESP) --root $(BUILD)/images/root-9.0.erofs --version 9.0 \
		--sign-key $(KEYDIR)/image.key --sign-cert $(KEYDIR)/image.crt

# An update's payload (slot B of ab.img: version 2.0) on a disk of its own, for the update scenarios.
$(BUILD)/images/update-2.0.img: $(BUILD)/images/ab.img tools/mkupdate.sh tools/lib.sh
	tools/mkupdate.sh $< B $@ $(BUILD)/images/update-2.0

# Disks systemd-repart lays out (bookworm-backports' 254, tools/systemd-tools.sh): mkosi's labels, and its defaults.
MKDISK_REPART := tools/mkdisk-repart.sh tools/systemd-tools.sh tools/apt-private.sh tools/lib.sh
$(BUILD)/images/mkosi.img: $(BUILD)/uki/production.efi $(BUILD)/images/root-1.0.erofs $(MKDISK_REPART)
	tools/mkdisk-repart.sh --out $@ $(MKDISK_ESP) --root $(BUILD)/images/root-1.0.erofs --version 1.0 \
		--labels mkosi --sign-key $(KEYDIR)/image.key --sign-cert $(KEYDIR)/image.crt
$(BUILD)/images/repart-default.img: $(BUILD)/uki/production.efi $(BUILD)/images/root-1.0.erofs $(MKDISK_REPART)
	tools/mkdisk-repart.sh --out $@ $(MKDISK_ESP) --root $(BUILD)/images/root-1.0.erofs --version 1.0 \
		--labels default --sign-key $(KEYDIR)/image.key --sign-cert $(KEYDIR)/image.crt

# Debian 12 with systemd as init (mmdebstrap; the package tree is cached), laid out like mkosi.img.
$(BUILD)/images/systemd-root-%.erofs: tools/mkroot-systemd.sh tools/lib.sh $(wildcard tools/testos/systemd/*) \
		os/systemd/rampart-swap.service
	@mkdir -p $(dir $@)
	tools/mkroot-systemd.sh $@ $*
$(BUILD)/images/systemd-os.img: $(BUILD)/uki/production.efi $(BUILD)/images/systemd-root-1.0.erofs $(MKDISK_REPART)
	tools/mkdisk-repart.sh --out $@ $(MKDISK_ESP) --root $(BUILD)/images/systemd-root-1.0.erofs --version 1.0 \
		--labels mkosi --image-id debian --sign-key $(KEYDIR)/image.key --sign-cert $(KEYDIR)/image.crt

# systemd's own initrd (dracut 059 in a throw-away Debian 12 root; cached), for the interop scenarios.
$(BUILD)/images/initrd-systemd-%.img: tools/mkinitrd-systemd.sh tools/lib.sh $(BUILD)/kernel.dir
	KERNEL_DIR=$(KERNEL_DIR) tools/mkinitrd-systemd.sh $@ $*

IMAGES := $(addprefix $(BUILD)/images/,base.img ab.img rogue-signed.img foreign-rogue.img foreign-ours.img \
	update-2.0.img mkosi.img repart-default.img systemd-os.img initrd-systemd-252.img initrd-systemd-254.img)
images: $(IMAGES) $(BUILD)/uki/debug.efi $(BUILD)/initramfs-debug.zst $(BUILD)/ovmf/vars.fd $(ROGUE_KEYDIR)/db.crt
	@for f in $(BUILD)/init $(BUILD)/initramfs.zst $(BUILD)/initramfs.zst.cpio $(BUILD)/initramfs-debug.zst \
		$(BUILD)/uki/production.efi; do \
		printf '%-34s %9d bytes\n' $$f $$(stat -c %s $$f); done

SCENARIO_ENV = BUILD=$(BUILD) KEYDIR=$(KEYDIR) ROGUE_KEYDIR=$(ROGUE_KEYDIR) \
	KERNEL_DIR=$(KERNEL_DIR) INITRD=$(BUILD)/initramfs.zst INITRD_DEBUG=$(BUILD)/initramfs-debug.zst

# Test tools the scenarios use against the machine (test/qemu/*.c, static
# like /init, linked with the lib/ modules they include; never shipped).
$(BUILD)/test-tools/%: test/qemu/%.c $$(patsubst %.c,$(BUILD)/musl/%.o,$$(shell test/link-deps.sh test/qemu/$$*.c)) \
		test/qemu/tool_tpm.h | stack
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(INIT_CFLAGS) -Itest/qemu $(INIT_LDFLAGS) -o $@ $(filter-out %.h,$^) $(INIT_LIBS)

TEST_TOOLS := $(patsubst test/qemu/%.c,$(BUILD)/test-tools/%,$(wildcard test/qemu/*.c))

qemu-test: images $(TEST_TOOLS)
	@mkdir -p $(RESULTS)
	@$(SCENARIO_ENV) test/qemu/run-scenarios.sh $(RESULTS)/scenarios.txt $(SCENARIOS)

# Boots the shipped image under Secure Boot with a swtpm; the disk and TPM
# state persist in $(BUILD)/run between runs (make run-reset forgets them).
run: $(BUILD)/images/base.img $(BUILD)/ovmf/vars.fd
	@mkdir -p $(BUILD)/run
	@[ -f $(BUILD)/run/disk.img ] || cp --sparse=always $(BUILD)/images/base.img $(BUILD)/run/disk.img
	@[ -f $(BUILD)/run/vars.fd ] || cp $(BUILD)/ovmf/vars.fd $(BUILD)/run/vars.fd
	@echo "run: booting $(BUILD)/run/disk.img under Secure Boot (quit: Ctrl-A X)"
	@tools/qemu-boot.sh --interactive --vars $(BUILD)/run/vars.fd --disk $(BUILD)/run/disk.img \
		--tpm-state $(BUILD)/run/tpm

run-reset:
	rm -rf $(BUILD)/run

$(BUILD)/bench/baseline-init: tools/bench/baseline-init.c | stack
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(WARN) -Os -static -o $@ $<
	strip $@

# Figures, not tests: boots the image several times and prints a table.
bench: images $(BUILD)/bench/baseline-init
	@$(SCENARIO_ENV) tools/bench.sh

clean:
	rm -rf $(BUILD)

# Also forgets the cached stack and downloads (they are rebuilt on the next make).
distclean: clean
	rm -rf "$${RAMPART_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/rampart}"
