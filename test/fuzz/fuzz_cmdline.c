/* SPDX-License-Identifier: MIT */
/* The kernel command line: whatever it says, the options stay in range. */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cmdline.h"
#include "fuzz_input.h"

static void count_warning(void *userdata, const char *key, const char *value, const char *why)
{
	fuzz_assert(key && value && why && *why);
	(*(int *)userdata)++;
}

static void unquote(char *s)
{
	char *out = s;

	for (; *s; s++)
		if (*s != '"')
			*out++ = *s;
	*out = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = strndup((const char *)data, size);
	struct options o;
	int warnings = 0, r;

	if (!line)
		return 0;
	options_init(&o);
	r = cmdline_parse(line, &o, count_warning, &warnings);
	fuzz_assert(r == warnings);
	fuzz_assert(o.log_level >= LOG_EMERG && o.log_level <= LOG_DEBUG);
	fuzz_assert(o.on_failure == FAILURE_HALT || o.on_failure == FAILURE_REBOOT ||
		    o.on_failure == FAILURE_POWEROFF);
	fuzz_assert(o.device_timeout_sec <= DEVICE_TIMEOUT_MAX_SEC);
	fuzz_assert(o.device_settle_ms <= DEVICE_SETTLE_MAX_MS);
	fuzz_assert(memchr(o.break_before, 0, sizeof(o.break_before)));
	fuzz_assert(memchr(o.test_stop, 0, sizeof(o.test_stop)));
	fuzz_assert(memchr(o.init, 0, sizeof(o.init)));
	/*
	 * Only the words of the line can turn the debug shell on (quotes
	 * are removed wherever they are, as systemd does: rd.she""ll is
	 * rd.shell).
	 */
	unquote(line);
	if (!strstr(line, "rampart.debug") && !strstr(line, "rd.shell"))
		fuzz_assert(!o.debug_shell);
	free(line);
	return 0;
}
