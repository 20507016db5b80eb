/* SPDX-License-Identifier: MIT */
/*
 * lib/repart_conf.c and lib/repart_plan.c: the repart.d parser, the
 * definitions shipped in initramfs/repart.d, and the pure planner against
 * the layouts tools/mkdisk.sh makes.  Run from the top of the tree (make unit-test).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "repart_conf.h"
#include "repart_plan.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define DEFS_DIR "initramfs/repart.d"
#define DEFS_MAX 32

static struct reason why;

/* ---- helpers ------------------------------------------------------------------------ */

static int parse(const char *text, struct repart_def *d)
{
	why.text[0] = '\0';
	return repart_parse_file("t.conf", text, strlen(text), d, &why);
}

/* Parses @text, which must be refused with exactly @msg. */
static void refused(const char *text, const char *msg)
{
	struct repart_def d;
	int r = parse(text, &d);

	if (r != -EINVAL)
		fail_msg("accepted (%d): %s", r, text);
	if (strcmp(why.text, msg) != 0)
		fail_msg("for %s\n  expected: %s\n  got:      %s", text, msg, why.text);
}

static struct repart_def def_of(const char *name, const char *text)
{
	struct repart_def d;

	why.text[0] = '\0';
	if (repart_parse_file(name, text, strlen(text), &d, &why) != 0)
		fail_msg("%s: %s", name, why.text);
	return d;
}

struct disk {
	struct partition parts[160];
	size_t n;
	struct repart_geometry geo;
};

static struct partition *add_part(struct disk *dk, int number, const char *type, const char *label,
				  uint64_t start, uint64_t size)
{
	struct partition *p = &dk->parts[dk->n++];

	memset(p, 0, sizeof(*p));
	snprintf(p->disk, sizeof(p->disk), "/dev/vda");
	snprintf(p->devnode, sizeof(p->devnode), "/dev/vda%d", number);
	p->number = number;
	snprintf(p->type, sizeof(p->type), "%s", type);
	p->role = gpt_role_from_type(type);
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->start = start;
	p->size = size;
	return p;
}

static void geometry(struct disk *dk, uint64_t disk_size)
{
	dk->geo.sector_size = 512;
	dk->geo.first_usable = 34 * 512;
	dk->geo.last_usable = disk_size - 33 * 512 - 1; /* backup entries + header */
	dk->geo.max_partitions = 128;
	snprintf(dk->geo.disk_guid, sizeof(dk->geo.disk_guid), "8c3b2a4e-0000-4000-8000-000000000001");
}

/* What tools/mkdisk.sh makes: 64M ESP at 1M, then slot A (2M root, 1M verity, 1M signature). */
static void mkdisk_layout(struct disk *dk, uint64_t disk_size, int slots)
{
	uint64_t off = 65 * MiB;

	memset(dk, 0, sizeof(*dk));
	geometry(dk, disk_size);
	add_part(dk, 1, GPT_TYPE_ESP, "esp", MiB, 64 * MiB);
	for (int s = 0; s < slots; s++) {
		const char *label = s ? "_empty" : "rampart_1.0";

		add_part(dk, 2 + 3 * s, GPT_TYPE_ROOT, label, off, 2 * MiB)->attrs = GPT_ATTR_READ_ONLY;
		add_part(dk, 3 + 3 * s, GPT_TYPE_ROOT_VERITY, label, off + 2 * MiB, MiB)->attrs = GPT_ATTR_READ_ONLY;
		add_part(dk, 4 + 3 * s, GPT_TYPE_ROOT_VERITY_SIG, label, off + 3 * MiB, MiB)->attrs =
			GPT_ATTR_READ_ONLY;
		off += 4 * MiB;
	}
}

static size_t load_real(struct repart_def *defs)
{
	size_t n = 0;

	if (repart_load_dir(DEFS_DIR, defs, DEFS_MAX, &n, &why) != 0)
		fail_msg("cannot load %s (run from the top of the tree)", DEFS_DIR);
	return n;
}

static int plan(const struct disk *dk, const struct repart_def *defs, size_t n_defs, struct repart_new *out,
		size_t max, size_t *n_out)
{
	why.text[0] = '\0';
	return repart_plan(dk->parts, dk->n, &dk->geo, defs, n_defs, out, max, n_out, &why);
}

/* The invariants every plan keeps, whatever the input. */
static void check_plan_invariants(const struct disk *dk, const struct repart_new *out, size_t n)
{
	int highest = 0;

	for (size_t j = 0; j < dk->n; j++)
		if (dk->parts[j].number > highest)
			highest = dk->parts[j].number;
	for (size_t i = 0; i < n; i++) {
		const struct repart_new *o = &out[i];

		assert_true(o->size > 0);
		assert_int_equal(o->start % REPART_ALIGN, 0);
		assert_int_equal(o->size % dk->geo.sector_size, 0);
		assert_true(o->start >= dk->geo.first_usable);
		assert_true(o->start + o->size - 1 <= dk->geo.last_usable);
		assert_int_equal(o->number, highest + 1 + (int)i);
		assert_true(repart_label_ok(o->label));
		for (size_t j = 0; j < dk->n; j++)
			if (o->start < dk->parts[j].start + dk->parts[j].size &&
			    dk->parts[j].start < o->start + o->size)
				fail_msg("%s overlaps partition %d", o->def->file, dk->parts[j].number);
		for (size_t j = 0; j < i; j++)
			assert_true(out[j].start + out[j].size <= o->start);
	}
}

/* The table after the plan was written, as a reader would see it. */
static void apply_to(struct disk *dk, const struct repart_new *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		add_part(dk, out[i].number, out[i].def->type, out[i].label, out[i].start, out[i].size)->attrs =
			out[i].def->attrs;
}

/* ---- parsing ---------------------------------------------------------------------- */

static void every_key(void **state)
{
	struct repart_def d;

	(void)state;
	assert_int_equal(parse("[Partition]\n"
			       "Type=var\n"
			       "Label=data\n"
			       "SizeMinBytes=128M\n"
			       "SizeMaxBytes=2G\n"
			       "Weight=250\n"
			       "Flags=0x1\n"
			       "NoAuto=yes\n"
			       "ReadOnly=true\n"
			       "GrowFileSystem=on\n",
			       &d),
			 0);
	assert_string_equal(d.file, "t.conf");
	assert_int_equal(d.line, 1);
	assert_int_equal(d.role, ROLE_VAR);
	assert_string_equal(d.type, GPT_TYPE_VAR);
	assert_string_equal(d.label, "data");
	assert_int_equal(d.size_min, 128 * MiB);
	assert_int_equal(d.size_max, 2 * GiB);
	assert_int_equal(d.weight, 250);
	assert_int_equal(d.attrs, 1 | GPT_ATTR_NO_AUTO | GPT_ATTR_READ_ONLY | GPT_ATTR_GROW_FS);
	assert_false(d.must_exist);
	assert_string_equal(d.size_from, "");

	assert_int_equal(parse("[Partition]\nType=root\nX-RampartMustExist=yes\n", &d), 0);
	assert_true(d.must_exist);
	assert_int_equal(parse("[Partition]\nType=root\nX-RampartSizeFrom=20-root.conf\n", &d), 0);
	assert_string_equal(d.size_from, "20-root.conf");
}

static void defaults_and_type_names(void **state)
{
	static const struct {
		const char *name, *type, *label;
		enum part_role role;
	} t[] = {
		{ "esp", GPT_TYPE_ESP, "esp", ROLE_ESP },
		{ "root", GPT_TYPE_ROOT, "root", ROLE_ROOT },
		{ "root-x86-64", GPT_TYPE_ROOT, "root", ROLE_ROOT },
		{ "root-verity", GPT_TYPE_ROOT_VERITY, "root-verity", ROLE_ROOT_VERITY },
		{ "root-x86-64-verity", GPT_TYPE_ROOT_VERITY, "root-verity", ROLE_ROOT_VERITY },
		{ "root-verity-sig", GPT_TYPE_ROOT_VERITY_SIG, "root-verity-sig", ROLE_ROOT_VERITY_SIG },
		{ "root-x86-64-verity-sig", GPT_TYPE_ROOT_VERITY_SIG, "root-verity-sig", ROLE_ROOT_VERITY_SIG },
		{ "swap", GPT_TYPE_SWAP, "swap", ROLE_SWAP },
		{ "var", GPT_TYPE_VAR, "var", ROLE_VAR },
		{ "tmp", GPT_TYPE_TMP, "tmp", ROLE_TMP },
		{ "linux-generic", "0fc63daf-8483-4772-8e79-3d69d8477de4", "linux-generic", ROLE_OTHER },
		{ "4D21B016-B534-45C2-A9FB-5C16E091FD2D", GPT_TYPE_VAR, "var", ROLE_VAR },
		{ "12345678-9abc-def0-1234-56789ABCDEF0", "12345678-9abc-def0-1234-56789abcdef0",
		  "12345678-9abc-def0-1234-56789abcdef0", ROLE_OTHER },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct repart_def d;
		char text[128];

		snprintf(text, sizeof(text), "[Partition]\nType=%s\n", t[i].name);
		if (parse(text, &d) != 0)
			fail_msg("%s: %s", t[i].name, why.text);
		assert_string_equal(d.type, t[i].type);
		assert_string_equal(d.label, t[i].label);
		assert_int_equal(d.role, t[i].role);
		assert_int_equal(d.size_min, REPART_DEFAULT_MIN);
		assert_int_equal(d.size_max, UINT64_MAX);
		assert_int_equal(d.weight, REPART_DEFAULT_WEIGHT);
		assert_int_equal(d.attrs, 0);
	}
}

static void size_suffixes(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} t[] = {
		{ "4096", 4096 },         { "1K", 1024 },           { "3M", 3 * MiB },
		{ "5G", 5 * GiB },        { "2T", UINT64_C(2) << 40 }, { "0", 0 },
		{ "16777215T", UINT64_C(16777215) << 40 },
		{ "18446744073709551615", UINT64_MAX },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct repart_def d;
		char text[128];

		snprintf(text, sizeof(text), "[Partition]\nType=var\nSizeMinBytes=%s\n", t[i].text);
		if (parse(text, &d) != 0)
			fail_msg("%s: %s", t[i].text, why.text);
		assert_int_equal(d.size_min, t[i].bytes);
	}
}

static void comments_blank_lines_and_spacing(void **state)
{
	struct repart_def d;
	char text[2048];

	(void)state;
	snprintf(text, sizeof(text),
		 "# a comment\n"
		 "; another one\n"
		 "\n"
		 "   \t\n"
		 "  # indented, and very long: %0600d\n"
		 "  [Partition]  \r\n"
		 "Type = swap\r\n"
		 "\tLabel=  my swap  \n"
		 "SizeMinBytes =64M\n"
		 "X-SomeoneElse=ignored, as systemd does\n"
		 "X-SomeoneElse=twice too\n"
		 "SizeMaxBytes= 64M", 0); /* no final newline */
	assert_int_equal(parse(text, &d), 0);
	assert_int_equal(d.role, ROLE_SWAP);
	assert_string_equal(d.label, "my swap");
	assert_int_equal(d.size_min, 64 * MiB);
	assert_int_equal(d.size_max, 64 * MiB);
	assert_int_equal(d.line, 6);
}

static void flags_and_booleans(void **state)
{
	struct repart_def d;

	(void)state;
	/* The named bits override Flags=, whichever comes first. */
	assert_int_equal(parse("[Partition]\nType=root\nReadOnly=no\nFlags=0x1000000000000004\n", &d), 0);
	assert_int_equal(d.attrs, 4);
	assert_int_equal(parse("[Partition]\nType=root\nFlags=0b101\nNoAuto=1\nGrowFileSystem=off\n", &d), 0);
	assert_int_equal(d.attrs, 5 | GPT_ATTR_NO_AUTO);
	assert_int_equal(parse("[Partition]\nType=root\nFlags=18446744073709551615\nGrowFileSystem=n\n", &d), 0);
	assert_int_equal(d.attrs, UINT64_MAX & ~GPT_ATTR_GROW_FS);
	assert_int_equal(parse("[Partition]\nType=root\nReadOnly=YES\n", &d), 0);
	assert_int_equal(d.attrs, GPT_ATTR_READ_ONLY);
	assert_int_equal(parse("[Partition]\nType=root\nX-RampartMustExist=false\n", &d), 0);
	assert_false(d.must_exist);
}

static void syntax_errors_name_file_and_line(void **state)
{
	(void)state;
	refused("[Partition]\nType=var\nFormat=ext4\n", "t.conf:3: unknown or unsupported key Format=");
	refused("[Partition]\nType=var\nPriority=1\n", "t.conf:3: unknown or unsupported key Priority=");
	refused("[Partition]\nType=var\nX-RampartSizeFrm=a.conf\n",
		"t.conf:3: unknown or unsupported key X-RampartSizeFrm=");
	refused("[Partition]\ntype=var\n", "t.conf:2: unknown or unsupported key type=");
	refused("[Partition]\nLabel=x\n", "t.conf:1: no Type= (rampart has no default type)");
	refused("# nothing\n", "t.conf: no [Partition] section");
	refused("", "t.conf: no [Partition] section");
	refused("Type=var\n[Partition]\n", "t.conf:1: Type= outside a [Partition] section");
	refused("[Partition]\nType=var\n[Partition]\nLabel=x\n",
		"t.conf:3: second [Partition] section (the first is on line 1): one partition per file");
	refused("[Partition]\nType=var\n[Install]\n", "t.conf:3: unknown section [Install] (only [Partition])");
	refused("[Partition\nType=var\n", "t.conf:1: unknown section [Partition (only [Partition])");
	refused("[Partition]\nType=var\nType=tmp\n", "t.conf:3: Type= given twice (first on line 2)");
	refused("[Partition]\nType=var\nLabel=\n", "t.conf:3: Label= needs a value");
	refused("[Partition]\nType=var\nLabel=a \\\n  b\n", "t.conf:3: line continuations are not supported");
	refused("[Partition]\nType=var\nWeight\n", "t.conf:3: expected KEY=VALUE or [Partition]");
	refused("[Partition]\n=var\n", "t.conf:2: no key before '='");
	refused("[Partition]\nType=home\n",
		"t.conf:2: Type=home: not a GPT type GUID or a known name (esp, root, root-verity, "
		"root-verity-sig, swap, var, tmp, linux-generic)");
	refused("[Partition]\nType=4d21b016-b534-45c2-a9fb-5c16e091fd2\n",
		"t.conf:2: Type=4d21b016-b534-45c2-a9fb-5c16e091fd2: not a GPT type GUID or a known name (esp, "
		"root, root-verity, root-verity-sig, swap, var, tmp, linux-generic)");

	{
		struct repart_def d;
		const char text[] = "[Partition]\nType=var\0Label=x\n";

		assert_int_equal(repart_parse_file("t.conf", text, sizeof(text) - 1, &d, &why), -EINVAL);
		assert_string_equal(why.text, "t.conf: contains a NUL byte");
	}
	{
		char text[1024];

		snprintf(text, sizeof(text), "[Partition]\nType=var\nLabel=%0400d\n", 0);
		refused(text, "t.conf:3: line too long");
	}
}

static void bad_numbers(void **state)
{
	static const char *const sizes[] = { "abc", "1.5G", "64MB", "64 M", "-1", "64m", "M", "0x10" };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char text[128], msg[160];

		snprintf(text, sizeof(text), "[Partition]\nType=var\nSizeMinBytes=%s\n", sizes[i]);
		snprintf(msg, sizeof(msg), "t.conf:3: SizeMinBytes=%s: expected a number with an optional K, M, G or T",
			 sizes[i]);
		refused(text, msg);
	}
	refused("[Partition]\nType=var\nSizeMaxBytes=18446744073709551616\n",
		"t.conf:3: SizeMaxBytes=18446744073709551616: too large");
	refused("[Partition]\nType=var\nSizeMaxBytes=16777216T\n", "t.conf:3: SizeMaxBytes=16777216T: too large");
	refused("[Partition]\nType=var\nSizeMaxBytes=4095\n", "t.conf:3: SizeMaxBytes=4095: less than 4096 bytes");
	refused("[Partition]\nType=var\nSizeMaxBytes=1G\nSizeMinBytes=2G\n",
		"t.conf:3: SizeMaxBytes= is smaller than SizeMinBytes=");
	refused("[Partition]\nType=var\nSizeMaxBytes=5M\n", "t.conf:3: SizeMaxBytes= is smaller than SizeMinBytes=");
	refused("[Partition]\nType=var\nWeight=1000001\n", "t.conf:3: Weight=1000001: expected 0-1000000");
	refused("[Partition]\nType=var\nWeight=-1\n", "t.conf:3: Weight=-1: expected 0-1000000");
	refused("[Partition]\nType=var\nWeight=1k\n", "t.conf:3: Weight=1k: expected 0-1000000");
	refused("[Partition]\nType=var\nFlags=0xZZ\n",
		"t.conf:3: Flags=0xZZ: expected a decimal, 0x hexadecimal or 0b binary number");
	refused("[Partition]\nType=var\nFlags=0b102\n",
		"t.conf:3: Flags=0b102: expected a decimal, 0x hexadecimal or 0b binary number");
	refused("[Partition]\nType=var\nFlags=0x10000000000000000\n",
		"t.conf:3: Flags=0x10000000000000000: more than 64 bits");
	refused("[Partition]\nType=var\nReadOnly=maybe\n", "t.conf:3: ReadOnly=maybe: expected a boolean (yes/no)");
}

static void labels(void **state)
{
	struct repart_def d;

	(void)state;
	assert_int_equal(parse("[Partition]\nType=root\nLabel=abcdefghijklmnopqrstuvwxyz0123456789\n", &d), 0);
	assert_string_equal(d.label, "abcdefghijklmnopqrstuvwxyz0123456789");
	refused("[Partition]\nType=root\nLabel=abcdefghijklmnopqrstuvwxyz0123456789X\n",
		"t.conf:3: Label=abcdefghijklmnopqrstuvwxyz0123456789X: must be 1-36 printable ASCII characters "
		"without '%'");
	refused("[Partition]\nType=root\nLabel=r\xc3\xa9sum\xc3\xa9\n",
		"t.conf:3: Label=r\xc3\xa9sum\xc3\xa9: must be 1-36 printable ASCII characters without '%'");
	refused("[Partition]\nType=root\nLabel=root-%m\n",
		"t.conf:3: Label=root-%m: must be 1-36 printable ASCII characters without '%'");
	refused("[Partition]\nType=swap\nLabel=pending-swap\n",
		"t.conf:3: Label=pending-swap: the prefix \"pending-\" is reserved for partitions waiting to be "
		"formatted");
	/* var and tmp need room for the prefix. */
	assert_int_equal(parse("[Partition]\nType=var\nLabel=abcdefghijklmnopqrstuvwxyz01\n", &d), 0);
	refused("[Partition]\nType=tmp\nLabel=abcdefghijklmnopqrstuvwxyz012\n",
		"t.conf:3: Label=abcdefghijklmnopqrstuvwxyz012: a tmp partition's label can have at most 28 "
		"characters (it is created as pending-abcdefghijklmnopqrstuvwxyz012)");
	assert_int_equal(parse("[Partition]\nType=swap\nLabel=abcdefghijklmnopqrstuvwxyz012\n", &d), 0);
}

static void size_from_rules(void **state)
{
	struct repart_def defs[3];

	(void)state;
	refused("[Partition]\nType=root\nX-RampartSizeFrom=20-root.conf\nSizeMinBytes=64M\n",
		"t.conf:4: SizeMinBytes= cannot be combined with X-RampartSizeFrom= (the size is copied)");
	refused("[Partition]\nType=root\nSizeMaxBytes=64M\nX-RampartSizeFrom=20-root.conf\n",
		"t.conf:3: SizeMaxBytes= cannot be combined with X-RampartSizeFrom= (the size is copied)");
	refused("[Partition]\nType=root\nWeight=1\nX-RampartSizeFrom=20-root.conf\n",
		"t.conf:3: Weight= cannot be combined with X-RampartSizeFrom= (the size is copied)");
	refused("[Partition]\nType=root\nX-RampartMustExist=yes\nX-RampartSizeFrom=20-root.conf\n",
		"t.conf:3: X-RampartMustExist= cannot be combined with X-RampartSizeFrom= (the size is copied)");
	refused("[Partition]\nType=root\nX-RampartSizeFrom=t.conf\n",
		"t.conf:3: X-RampartSizeFrom=t.conf: names this file itself");
	refused("[Partition]\nType=root\nX-RampartSizeFrom=../20-root.conf\n",
		"t.conf:3: X-RampartSizeFrom=../20-root.conf: expected a definition file name");

	defs[0] = def_of("20-root.conf", "[Partition]\nType=root\n");
	defs[1] = def_of("21-verity.conf", "[Partition]\nType=root-verity\n");
	defs[2] = def_of("30-root-b.conf", "# B\n[Partition]\nType=root\nX-RampartSizeFrom=20-root.conf\n");
	assert_int_equal(repart_check_defs(defs, 3, &why), 0);
	defs[2] = def_of("30-root-b.conf", "# B\n[Partition]\nType=root\nX-RampartSizeFrom=2-root.conf\n");
	assert_int_equal(repart_check_defs(defs, 3, &why), -EINVAL);
	assert_string_equal(why.text, "30-root-b.conf:2: X-RampartSizeFrom=2-root.conf: no such definition");
	defs[2] = def_of("30-root-b.conf", "# B\n[Partition]\nType=root\nX-RampartSizeFrom=21-verity.conf\n");
	assert_int_equal(repart_check_defs(defs, 3, &why), -EINVAL);
	assert_string_equal(why.text, "30-root-b.conf:2: X-RampartSizeFrom=21-verity.conf: that definition is of another "
				 "type (2c7357ed-ebd2-46d9-aec1-23d437ec2bf5, not "
				 "4f68bce3-e8cd-4db1-96e7-fbcaf984b709)");
	defs[2] = defs[0];
	assert_int_equal(repart_check_defs(defs, 3, &why), -EINVAL);
	assert_string_equal(why.text, "20-root.conf: two definitions with this name");
}

static void pending_labels(void **state)
{
	(void)state;
	assert_string_equal(repart_pending_final("pending-var"), "var");
	assert_null(repart_pending_final("var"));
	assert_null(repart_pending_final("pending-"));
	assert_null(repart_pending_final("pendingvar"));
	assert_true(repart_role_formatted(ROLE_VAR));
	assert_true(repart_role_formatted(ROLE_TMP));
	assert_false(repart_role_formatted(ROLE_SWAP));
	assert_false(repart_role_formatted(ROLE_ROOT));
	assert_false(repart_label_ok(""));
	assert_false(repart_label_ok("tab\there"));
	assert_true(repart_label_ok("_empty"));
}

/* ---- loading ----------------------------------------------------------------------- */

static void the_shipped_definitions(void **state)
{
	struct repart_def defs[DEFS_MAX];
	static const struct {
		const char *file;
		enum part_role role;
		const char *label, *size_from;
		bool must_exist;
	} want[] = {
		{ "10-esp.conf", ROLE_ESP, "esp", "", true },
		{ "20-root.conf", ROLE_ROOT, "root", "", true },
		{ "21-root-verity.conf", ROLE_ROOT_VERITY, "root-verity", "", true },
		{ "22-root-verity-sig.conf", ROLE_ROOT_VERITY_SIG, "root-verity-sig", "", true },
		{ "30-root-b.conf", ROLE_ROOT, "_empty", "20-root.conf", false },
		{ "31-root-verity-b.conf", ROLE_ROOT_VERITY, "_empty", "21-root-verity.conf", false },
		{ "32-root-verity-sig-b.conf", ROLE_ROOT_VERITY_SIG, "_empty", "22-root-verity-sig.conf", false },
		{ "40-swap.conf", ROLE_SWAP, "swap", "", false },
		{ "50-tmp.conf", ROLE_TMP, "tmp", "", false },
		{ "60-var.conf", ROLE_VAR, "var", "", false },
	};
	size_t n;

	(void)state;
	n = load_real(defs);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(defs[i].file, want[i].file);
		assert_int_equal(defs[i].role, want[i].role);
		assert_string_equal(defs[i].label, want[i].label);
		assert_string_equal(defs[i].size_from, want[i].size_from);
		assert_int_equal(defs[i].must_exist, want[i].must_exist);
		/* The B set is read-only like slot A; nothing else carries attribute bits. */
		assert_int_equal(defs[i].attrs, want[i].size_from[0] ? GPT_ATTR_READ_ONLY : 0);
	}
	assert_int_equal(defs[7].size_min, 64 * MiB);
	assert_int_equal(defs[7].size_max, GiB);
	assert_int_equal(defs[7].weight, 50);
	assert_int_equal(defs[8].size_min, 64 * MiB);
	assert_int_equal(defs[8].size_max, 8 * GiB);
	assert_int_equal(defs[8].weight, 100);
	assert_int_equal(defs[9].size_min, 128 * MiB);
	assert_int_equal(defs[9].size_max, UINT64_MAX);
	assert_int_equal(defs[9].weight, 1000);
}

static char tmpdir[64];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_repart.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void load_dir_order_and_errors(void **state)
{
	struct repart_def defs[4];
	char path[256];
	size_t n = 99;

	(void)state;
	put("b.conf", "[Partition]\nType=tmp\n");
	put("a.conf", "[Partition]\nType=var\n");
	put("10-z.conf", "[Partition]\nType=swap\n");
	put("README", "not a definition");
	put(".hidden.conf", "not a definition either");
	put("c.conf.orig", "nor this");
	assert_int_equal(repart_load_dir(tmpdir, defs, 4, &n, &why), 0);
	assert_int_equal(n, 3);
	assert_string_equal(defs[0].file, "10-z.conf");
	assert_string_equal(defs[1].file, "a.conf");
	assert_string_equal(defs[2].file, "b.conf");

	put("c.conf", "[Partition]\nType=root\n");
	put("d.conf", "[Partition]\nType=root\n");
	assert_int_equal(repart_load_dir(tmpdir, defs, 4, &n, &why), -E2BIG);
	assert_int_equal(n, 0);
	snprintf(path, sizeof(path), "%s/d.conf", tmpdir);
	unlink(path);

	put("c.conf", "[Partition]\nType=root\nSize=1G\n");
	assert_int_equal(repart_load_dir(tmpdir, defs, 4, &n, &why), -EINVAL);
	put("c.conf", "[Partition]\nType=root\nX-RampartSizeFrom=nothing.conf\n");
	assert_int_equal(repart_load_dir(tmpdir, defs, 4, &n, &why), -EINVAL);
	snprintf(path, sizeof(path), "%s/c.conf", tmpdir);
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(repart_load_dir(tmpdir, defs, 4, &n, &why), -EISDIR);
	rmdir(path);

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	assert_int_equal(repart_load_dir(path, defs, 4, &n, &why), -ENOENT);
}

/* ---- planning ------------------------------------------------------------------------ */

static void plan_for_the_test_image(void **state)
{
	static const struct {
		int number;
		const char *file, *label;
		uint64_t start_mib, size_mib;
	} want[] = {
		{ 5, "30-root-b.conf", "_empty", 69, 2 },
		{ 6, "31-root-verity-b.conf", "_empty", 71, 1 },
		{ 7, "32-root-verity-sig-b.conf", "_empty", 72, 1 },
		{ 8, "40-swap.conf", "swap", 73, 94 },
		{ 9, "50-tmp.conf", "pending-tmp", 167, 124 },
		{ 10, "60-var.conf", "pending-var", 291, 732 },
	};
	struct repart_def defs[DEFS_MAX];
	struct repart_new out[16];
	struct disk dk;
	size_t n_defs = load_real(defs), n;

	(void)state;
	mkdisk_layout(&dk, GiB, 1);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), 0);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(out[i].number, want[i].number);
		assert_string_equal(out[i].def->file, want[i].file);
		assert_string_equal(out[i].label, want[i].label);
		assert_int_equal(out[i].start, want[i].start_mib * MiB);
		assert_int_equal(out[i].size, want[i].size_mib * MiB);
	}
	/* /var takes the disk up to its last whole MiB. */
	assert_true(dk.geo.last_usable + 1 - (out[5].start + out[5].size) < MiB);
	check_plan_invariants(&dk, out, n);
}

static void idempotent(void **state)
{
	struct repart_def defs[DEFS_MAX];
	struct repart_new out[16], again[16];
	struct disk dk;
	size_t n_defs = load_real(defs), n, m = 99;

	(void)state;
	mkdisk_layout(&dk, GiB, 1);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), 0);
	apply_to(&dk, out, n);
	assert_int_equal(plan(&dk, defs, n_defs, again, 16, &m), 0);
	assert_int_equal(m, 0);

	/* After open-storage renamed them, still nothing: labels do not matter for matching. */
	snprintf(dk.parts[dk.n - 1].label, GPT_LABEL_MAX, "var");
	assert_int_equal(plan(&dk, defs, n_defs, again, 16, &m), 0);
	assert_int_equal(m, 0);

	/* The table order of the input does not matter either. */
	for (size_t i = 0; i < dk.n / 2; i++) {
		struct partition t = dk.parts[i];

		dk.parts[i] = dk.parts[dk.n - 1 - i];
		dk.parts[dk.n - 1 - i] = t;
	}
	assert_int_equal(plan(&dk, defs, n_defs, again, 16, &m), 0);
	assert_int_equal(m, 0);
}

static void two_slot_image_gets_the_rest(void **state)
{
	struct repart_def defs[DEFS_MAX];
	struct repart_new out[16];
	struct disk dk;
	size_t n_defs = load_real(defs), n;

	(void)state;
	/* mkdisk --slot-count 2: B exists (_empty); only swap, tmp, var are new. */
	mkdisk_layout(&dk, GiB, 2);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(out[0].def->file, "40-swap.conf");
	assert_int_equal(out[0].number, 8);
	assert_int_equal(out[0].start, 73 * MiB);
	assert_int_equal(out[1].number, 9);
	assert_int_equal(out[2].number, 10);
	assert_int_equal(out[2].start + out[2].size, 1023 * MiB);
	check_plan_invariants(&dk, out, n);
}

static void disk_too_small(void **state)
{
	struct repart_def defs[DEFS_MAX];
	struct repart_new out[16];
	struct disk dk;
	size_t n_defs = load_real(defs), n = 99;
	uint64_t exact;

	(void)state;
	mkdisk_layout(&dk, 256 * MiB, 1);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), -ENOSPC);
	assert_int_equal(n, 0);
	assert_string_equal(why.text, "disk too small: the 6 new partitions need at least 260 MiB, the largest free area "
				 "(at 69 MiB) has 186 MiB: 74 MiB more needed");

	/* Exactly enough: everything at its minimum. */
	exact = (69 + 260) * MiB + 33 * 512;
	mkdisk_layout(&dk, exact, 1);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(out[3].size, 64 * MiB);
	assert_int_equal(out[4].size, 64 * MiB);
	assert_int_equal(out[5].size, 128 * MiB);
	check_plan_invariants(&dk, out, n);
	mkdisk_layout(&dk, exact - 512, 1);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), -ENOSPC);

	/* No free space at all. */
	mkdisk_layout(&dk, 69 * MiB + 33 * 512, 1);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), -ENOSPC);
	assert_string_equal(why.text, "disk too small: the 6 new partitions need at least 260 MiB, the disk has no free "
				 "area");
}

static void image_partitions_must_exist(void **state)
{
	struct repart_def defs[DEFS_MAX];
	struct repart_new out[16];
	struct disk dk;
	size_t n_defs = load_real(defs), n;

	(void)state;
	memset(&dk, 0, sizeof(dk));
	geometry(&dk, GiB);
	add_part(&dk, 1, GPT_TYPE_ESP, "esp", MiB, 64 * MiB);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), -ENOENT);
	assert_string_equal(why.text, "20-root.conf: the disk has no root partition #1 (type "
				 "4f68bce3-e8cd-4db1-96e7-fbcaf984b709), which the image must have "
				 "(X-RampartMustExist=)");

	/* A root without its signature partition. */
	add_part(&dk, 2, GPT_TYPE_ROOT, "rampart_1.0", 65 * MiB, 2 * MiB);
	add_part(&dk, 3, GPT_TYPE_ROOT_VERITY, "rampart_1.0", 67 * MiB, MiB);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), -ENOENT);
	assert_string_equal(why.text, "22-root-verity-sig.conf: the disk has no root-verity-sig partition #1 (type "
				 "41092b05-9fc8-4523-994f-2def0408b176), which the image must have "
				 "(X-RampartMustExist=)");
}

static void partitions_after_the_free_area(void **state)
{
	struct repart_def defs[DEFS_MAX];
	struct repart_new out[16];
	struct disk dk;
	size_t n_defs = load_real(defs), n;

	(void)state;
	/* Someone's partition near the end of the disk: new ones go into the larger area before it. */
	mkdisk_layout(&dk, GiB, 1);
	add_part(&dk, 9, "0fc63daf-8483-4772-8e79-3d69d8477de4", "vendor", 900 * MiB, 100 * MiB);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(out[0].number, 10); /* after the highest number in use */
	assert_int_equal(out[0].start, 69 * MiB);
	assert_int_equal(out[5].start + out[5].size, 900 * MiB);
	check_plan_invariants(&dk, out, n);

	/* When the area after it is the larger one, that one is used. */
	mkdisk_layout(&dk, GiB, 1);
	add_part(&dk, 5, "0fc63daf-8483-4772-8e79-3d69d8477de4", "vendor", 80 * MiB, 100 * MiB);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), 0);
	assert_int_equal(out[0].start, 180 * MiB);
	check_plan_invariants(&dk, out, n);

	/* A broken table with nested partitions: nothing lands inside the outer one. */
	mkdisk_layout(&dk, GiB, 1);
	add_part(&dk, 5, "0fc63daf-8483-4772-8e79-3d69d8477de4", "outer", 100 * MiB, 500 * MiB);
	add_part(&dk, 6, "0fc63daf-8483-4772-8e79-3d69d8477de4", "inner", 200 * MiB, 10 * MiB);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), 0);
	assert_int_equal(out[0].start, 600 * MiB);
	check_plan_invariants(&dk, out, n);

	/* An unaligned end: the next start is rounded up, the area before it is not touched. */
	mkdisk_layout(&dk, GiB, 1);
	dk.parts[3].size = MiB - 512;
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), 0);
	assert_int_equal(out[0].start, 69 * MiB);
	check_plan_invariants(&dk, out, n);
}

static void matching_nth_of_a_type(void **state)
{
	struct repart_def defs[DEFS_MAX];
	struct repart_new out[16];
	struct disk dk;
	size_t n_defs = load_real(defs), n;

	(void)state;
	/* Three root sets: the third is nobody's, left alone; nothing new for roots. */
	mkdisk_layout(&dk, 2 * GiB, 2);
	add_part(&dk, 8, GPT_TYPE_ROOT, "rampart_0.9", 73 * MiB, 2 * MiB);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(out[0].def->file, "40-swap.conf");
	assert_int_equal(out[0].number, 9);
	check_plan_invariants(&dk, out, n);

	/* Existing swap and var, tmp missing: only tmp. */
	mkdisk_layout(&dk, GiB, 2);
	add_part(&dk, 8, GPT_TYPE_SWAP, "swap", 73 * MiB, 64 * MiB);
	add_part(&dk, 9, GPT_TYPE_VAR, "var", 137 * MiB, 800 * MiB);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].label, "pending-tmp");
	assert_int_equal(out[0].number, 10);
	assert_int_equal(out[0].start, 937 * MiB);
	assert_int_equal(out[0].size, 86 * MiB); /* all that is left: it may grow to 8G */
	check_plan_invariants(&dk, out, n);
}

static void b_set_copies_slot_a_exactly(void **state)
{
	struct repart_def defs[DEFS_MAX];
	struct repart_new out[16];
	struct disk dk;
	size_t n_defs = load_real(defs), n;

	(void)state;
	/* A root of 2.5 MiB and a 40 KiB signature, from some other image builder. */
	memset(&dk, 0, sizeof(dk));
	geometry(&dk, GiB);
	add_part(&dk, 1, GPT_TYPE_ESP, "esp", MiB, 64 * MiB);
	add_part(&dk, 2, GPT_TYPE_ROOT, "os_7", 65 * MiB, 5 * MiB / 2);
	add_part(&dk, 3, GPT_TYPE_ROOT_VERITY, "os_7", 68 * MiB, MiB);
	add_part(&dk, 4, GPT_TYPE_ROOT_VERITY_SIG, "os_7", 69 * MiB, 40 * 1024);
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(out[0].start, 70 * MiB);
	assert_int_equal(out[0].size, 5 * MiB / 2);
	assert_int_equal(out[1].start, 73 * MiB);
	assert_int_equal(out[1].size, MiB);
	assert_int_equal(out[2].start, 74 * MiB);
	assert_int_equal(out[2].size, 40 * 1024);
	assert_int_equal(out[3].start, 75 * MiB);
	check_plan_invariants(&dk, out, n);
}

static void weights_and_maximums(void **state)
{
	struct repart_def defs[4];
	struct repart_new out[4];
	struct disk dk;
	size_t n;

	(void)state;
	memset(&dk, 0, sizeof(dk));
	geometry(&dk, 101 * MiB + 33 * 512); /* 100 MiB free from 1 MiB on */

	/* Surplus beyond the minimums, shared 1:3. */
	defs[0] = def_of("a.conf", "[Partition]\nType=var\nSizeMinBytes=10M\nWeight=1000\n");
	defs[1] = def_of("b.conf", "[Partition]\nType=tmp\nSizeMinBytes=10M\nWeight=3000\n");
	assert_int_equal(plan(&dk, defs, 2, out, 4, &n), 0);
	assert_int_equal(out[0].size, 30 * MiB);
	assert_int_equal(out[1].size, 70 * MiB);
	assert_int_equal(out[0].start, MiB);
	check_plan_invariants(&dk, out, n);

	/* A maximum stops a partition; the rest goes to the others. */
	defs[1] = def_of("b.conf", "[Partition]\nType=tmp\nSizeMinBytes=10M\nSizeMaxBytes=20M\nWeight=3000\n");
	assert_int_equal(plan(&dk, defs, 2, out, 4, &n), 0);
	assert_int_equal(out[0].size, 80 * MiB);
	assert_int_equal(out[1].size, 20 * MiB);

	/* Weight 0 stays at its minimum; every partition at its maximum leaves the rest free. */
	defs[0] = def_of("a.conf", "[Partition]\nType=var\nSizeMinBytes=10M\nWeight=0\n");
	defs[1] = def_of("b.conf", "[Partition]\nType=tmp\nSizeMinBytes=10M\nSizeMaxBytes=30M\n");
	assert_int_equal(plan(&dk, defs, 2, out, 4, &n), 0);
	assert_int_equal(out[0].size, 10 * MiB);
	assert_int_equal(out[1].size, 30 * MiB);

	/* Units left by rounding go to the largest fractions: 3 equal weights, 100 units. */
	defs[0] = def_of("a.conf", "[Partition]\nType=var\nSizeMinBytes=1M\n");
	defs[1] = def_of("b.conf", "[Partition]\nType=tmp\nSizeMinBytes=1M\nWeight=2000\n");
	defs[2] = def_of("c.conf", "[Partition]\nType=swap\nSizeMinBytes=1M\n");
	assert_int_equal(plan(&dk, defs, 3, out, 4, &n), 0);
	/* 97 surplus units, 1:2:1 = 24.25, 48.5, 24.25: b gets the odd unit. */
	assert_int_equal(out[0].size, 25 * MiB);
	assert_int_equal(out[1].size, 50 * MiB);
	assert_int_equal(out[2].size, 25 * MiB);

	/* Minimums and maximums are rounded to whole MiB: up and down. */
	defs[0] = def_of("a.conf", "[Partition]\nType=var\nSizeMinBytes=1500K\nSizeMaxBytes=3500K\n");
	assert_int_equal(plan(&dk, defs, 1, out, 4, &n), 0);
	assert_int_equal(out[0].size, 3 * MiB);
	defs[0] = def_of("a.conf", "[Partition]\nType=var\nSizeMinBytes=1500K\nSizeMaxBytes=1800K\n");
	assert_int_equal(plan(&dk, defs, 1, out, 4, &n), 0);
	assert_int_equal(out[0].size, 2 * MiB);
	defs[0] = def_of("a.conf", "[Partition]\nType=var\nSizeMinBytes=0\nSizeMaxBytes=4096\n");
	assert_int_equal(plan(&dk, defs, 1, out, 4, &n), 0);
	assert_int_equal(out[0].size, MiB);

	/* Huge numbers do not overflow: a 16 EiB maximum on a 1 TiB disk. */
	memset(&dk, 0, sizeof(dk));
	geometry(&dk, UINT64_C(1) << 40);
	defs[0] = def_of("a.conf", "[Partition]\nType=var\nWeight=1000000\nSizeMaxBytes=16777215T\n");
	defs[1] = def_of("b.conf", "[Partition]\nType=tmp\nWeight=1\n");
	assert_int_equal(plan(&dk, defs, 2, out, 4, &n), 0);
	assert_int_equal(out[0].size + out[1].size, (UINT64_C(1) << 40) - MiB - MiB);
	defs[0] = def_of("a.conf", "[Partition]\nType=var\nSizeMinBytes=16777215T\n");
	assert_int_equal(plan(&dk, defs, 2, out, 4, &n), -ENOSPC);
}

static void limits_of_the_table_and_the_output(void **state)
{
	struct repart_def defs[DEFS_MAX];
	struct repart_new out[16];
	struct disk dk;
	size_t n_defs = load_real(defs), n = 99;

	(void)state;
	mkdisk_layout(&dk, GiB, 1);
	dk.geo.max_partitions = 9;
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), -ENOSPC);
	assert_string_equal(why.text, "no room in the partition table: 6 new partitions after number 4 need 10 entries, "
				 "the GPT has 9");
	dk.geo.max_partitions = 10;
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), 0);
	assert_int_equal(n, 6);

	/* Numbers come after the highest in use, even with holes below it. */
	mkdisk_layout(&dk, GiB, 1);
	dk.parts[3].number = 125;
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), -ENOSPC);

	mkdisk_layout(&dk, GiB, 1);
	assert_int_equal(plan(&dk, defs, n_defs, out, 5, &n), -ENOBUFS);
	assert_string_equal(why.text, "6 new partitions, room for 5");
	assert_int_equal(n, 0);
}

static void bad_input_refused(void **state)
{
	struct repart_def defs[DEFS_MAX];
	struct repart_new out[16];
	struct disk dk;
	size_t n_defs = load_real(defs), n;

	(void)state;
	mkdisk_layout(&dk, GiB, 1);
	snprintf(dk.parts[2].disk, sizeof(dk.parts[2].disk), "/dev/vdb");
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), -EINVAL);
	assert_string_equal(why.text, "partitions of two disks (/dev/vda, /dev/vdb) given");

	mkdisk_layout(&dk, GiB, 1);
	dk.parts[2].number = 2;
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), -EINVAL);
	assert_string_equal(why.text, "partition number 2 given twice");

	mkdisk_layout(&dk, GiB, 1);
	dk.geo.sector_size = 0;
	assert_int_equal(plan(&dk, defs, n_defs, out, 16, &n), -EINVAL);
	assert_string_equal(why.text, "bad disk geometry");

	/* A copied size needs the partition to copy from. */
	{
		struct repart_def d[2];

		d[0] = def_of("20-root.conf", "[Partition]\nType=root\n");
		d[1] = def_of("30-root-b.conf", "[Partition]\nType=root\nX-RampartSizeFrom=20-root.conf\n");
		memset(&dk, 0, sizeof(dk));
		geometry(&dk, GiB);
		assert_int_equal(plan(&dk, d, 2, out, 16, &n), -EINVAL);
		assert_string_equal(why.text, "30-root-b.conf: X-RampartSizeFrom=20-root.conf: that partition does "
					 "not exist on the disk to copy its size from");
	}
}

/* Random layouts and definitions: whatever comes out keeps the invariants and is idempotent. */
static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? rng % n : 0;
}

static void random_layouts(void **state)
{
	static const char *const types[] = { GPT_TYPE_ROOT, GPT_TYPE_SWAP, GPT_TYPE_VAR, GPT_TYPE_TMP };
	int planned = 0, refused_space = 0;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		struct repart_def defs[8];
		struct repart_new out[8], again[8];
		struct disk dk;
		size_t n_defs = 1 + rnd(6), n, m;
		uint64_t disk_size = (16 + rnd(2048)) * MiB + rnd(4) * 512, pos = MiB;
		int r;

		memset(&dk, 0, sizeof(dk));
		geometry(&dk, disk_size);
		dk.geo.max_partitions = 4 + (uint32_t)rnd(16);
		for (int i = 0, nparts = (int)rnd(6); i < nparts; i++) {
			uint64_t start = pos + rnd(64) * 512 * (rnd(2) ? 2048 : 1), size = (1 + rnd(400)) * 512 * 64;

			if (start + size > dk.geo.last_usable)
				break;
			add_part(&dk, i + 1 + (int)rnd(2), types[rnd(4)], "x", start, size);
			pos = start + size;
			if (dk.n > 1 && dk.parts[dk.n - 1].number <= dk.parts[dk.n - 2].number)
				dk.parts[dk.n - 1].number = dk.parts[dk.n - 2].number + 1;
		}
		for (size_t i = 0; i < n_defs; i++) {
			char text[256], name[32];
			uint64_t min = rnd(64) * MiB / (1 + rnd(3));

			snprintf(name, sizeof(name), "%02zu.conf", i);
			snprintf(text, sizeof(text), "[Partition]\nType=%s\nSizeMinBytes=%llu\nWeight=%llu\n%s",
				 types[rnd(4)], (unsigned long long)min, (unsigned long long)rnd(3000),
				 rnd(3) ? "" : "SizeMaxBytes=100M\n");
			defs[i] = def_of(name, text);
		}
		r = plan(&dk, defs, n_defs, out, 8, &n);
		if (r == -ENOSPC) {
			refused_space++;
			continue;
		}
		if (r != 0)
			fail_msg("round %d: %d %s", round, r, why.text);
		check_plan_invariants(&dk, out, n);
		apply_to(&dk, out, n);
		assert_int_equal(plan(&dk, defs, n_defs, again, 8, &m), 0);
		assert_int_equal(m, 0);
		planned++;
	}
	assert_true(planned > 1000);
	assert_true(refused_space > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_key),
		cmocka_unit_test(defaults_and_type_names),
		cmocka_unit_test(size_suffixes),
		cmocka_unit_test(comments_blank_lines_and_spacing),
		cmocka_unit_test(flags_and_booleans),
		cmocka_unit_test(syntax_errors_name_file_and_line),
		cmocka_unit_test(bad_numbers),
		cmocka_unit_test(labels),
		cmocka_unit_test(size_from_rules),
		cmocka_unit_test(pending_labels),
		cmocka_unit_test(the_shipped_definitions),
		cmocka_unit_test_setup_teardown(load_dir_order_and_errors, make_tmpdir, remove_tmpdir),
		cmocka_unit_test(plan_for_the_test_image),
		cmocka_unit_test(idempotent),
		cmocka_unit_test(two_slot_image_gets_the_rest),
		cmocka_unit_test(disk_too_small),
		cmocka_unit_test(image_partitions_must_exist),
		cmocka_unit_test(partitions_after_the_free_area),
		cmocka_unit_test(matching_nth_of_a_type),
		cmocka_unit_test(b_set_copies_slot_a_exactly),
		cmocka_unit_test(weights_and_maximums),
		cmocka_unit_test(limits_of_the_table_and_the_output),
		cmocka_unit_test(bad_input_refused),
		cmocka_unit_test(random_layouts),
	};

	log_set_max_level(LOG_CRIT); /* load_dir's refusals are expected here */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
