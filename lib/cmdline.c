/* SPDX-License-Identifier: MIT */
#include "cmdline.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "encoding.h"
#include "log.h"
#include "parse_util.h"
#include "util.h"

#define TOKEN_MAX 4096

void options_init(struct options *o)
{
	*o = (struct options){
		.log_level = LOG_NOTICE,
		.on_failure = FAILURE_HALT,
		.device_timeout_sec = DEVICE_TIMEOUT_DEFAULT_SEC,
		.device_settle_ms = DEVICE_SETTLE_DEFAULT_MS,
		.init = "/sbin/init",
	};
}

const char *failure_action_to_string(enum failure_action a)
{
	switch (a) {
	case FAILURE_HALT:
		return "halt";
	case FAILURE_REBOOT:
		return "reboot";
	case FAILURE_POWEROFF:
		return "poweroff";
	}
	return "?";
}

/*
 * Splits off the next parameter the way the kernel does: whitespace
 * separates, double quotes group and are removed.  Returns the position
 * after the parameter, or NULL at the end.
 */
static const char *next_param(const char *p, char *out, size_t size, bool *truncated)
{
	bool quoted = false;
	size_t n = 0;

	*truncated = false;
	while (*p && isspace((unsigned char)*p))
		p++;
	if (!*p)
		return NULL;
	for (; *p && (quoted || !isspace((unsigned char)*p)); p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (n + 1 < size)
			out[n++] = *p;
		else
			*truncated = true;
	}
	out[n] = '\0';
	return p;
}

static bool copy_value(char *dst, size_t size, const char *value)
{
	if (strlen(value) >= size)
		return false;
	strcpy(dst, value);
	return true;
}

static bool parse_uint(const char *v, unsigned max, unsigned *out)
{
	char *end;
	unsigned long n;

	if (!v || !isdigit((unsigned char)*v))
		return false;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n > max)
		return false;
	*out = (unsigned)n;
	return true;
}

/* Returns NULL when accepted, else why not. */
/*
 * rampart.recovery=off, =prompt, or =prompt:HEX[,HEX...]: each HEX the
 * sha256 PCR 7 value before a Secure Boot update (64 lowercase digits, as
 * the boot report spells pcr7_before_lock), whose record recovery may
 * then trust (init/recovery.c).  All or nothing: a bad list changes none.
 */
static const char *parse_recovery(struct options *o, const char *value)
{
	uint8_t values[ARRAY_SIZE(o->recovery_pcr7)][32];
	unsigned n = 0;
	const char *p;

	if (value && !strcmp(value, "off")) {
		o->recovery_prompt = false;
		o->n_recovery_pcr7 = 0;
		return NULL;
	}
	if (!value || strncmp(value, "prompt", 6) != 0 || (value[6] && value[6] != ':'))
		return "expected off, prompt or prompt:PCR7[,PCR7...]";
	for (p = value[6] ? value + 7 : NULL; p; p = p[64] == ',' ? p + 65 : NULL) {
		if (n == ARRAY_SIZE(values))
			return "more than 4 PCR 7 values";
		if (strnlen(p, 65) < 64 || (p[64] && p[64] != ',') || hex_decode_lower(p, 64, values[n]) < 0)
			return "a PCR 7 value is not 64 lowercase hex digits";
		n++;
	}
	o->recovery_prompt = true;
	memcpy(o->recovery_pcr7, values, sizeof(values[0]) * n);
	o->n_recovery_pcr7 = n;
	return NULL;
}

static const char *apply(struct options *o, const char *key, const char *value)
{
	if (!strcmp(key, "init")) {
		if (!value || value[0] != '/')
			return "not an absolute path";
		return copy_value(o->init, sizeof(o->init), value) ? NULL : "too long";
	}
	if (!strcmp(key, "quiet")) {
		if (o->log_level > LOG_WARNING)
			o->log_level = LOG_WARNING;
		return NULL;
	}
	if (!strcmp(key, "rd.shell")) {
		/* A bare "rd.shell" means yes, as in dracut and systemd. */
		int b = value ? parse_boolean(value) : 1;

		if (b < 0)
			return "not a boolean";
		o->debug_shell = b;
		return NULL;
	}
	if (strncmp(key, "rampart.", 8) != 0)
		return NULL; /* not ours */

	key += 8;
	if (!strcmp(key, "log")) {
		int level = value ? log_level_from_string(value) : -1;
		if (level < 0)
			return "expected err, warning, notice, info or debug";
		o->log_level = level;
		return NULL;
	}
	if (!strcmp(key, "on-failure")) {
		if (value && !strcmp(value, "halt"))
			o->on_failure = FAILURE_HALT;
		else if (value && !strcmp(value, "reboot"))
			o->on_failure = FAILURE_REBOOT;
		else if (value && !strcmp(value, "poweroff"))
			o->on_failure = FAILURE_POWEROFF;
		else
			return "expected halt, reboot or poweroff";
		return NULL;
	}
	if (!strcmp(key, "device-timeout")) {
		return parse_uint(value, DEVICE_TIMEOUT_MAX_SEC, &o->device_timeout_sec)
			       ? NULL
			       : "expected whole seconds, at most 3600";
	}
	if (!strcmp(key, "device-settle")) {
		return parse_uint(value, DEVICE_SETTLE_MAX_MS, &o->device_settle_ms)
			       ? NULL
			       : "expected milliseconds, at most 10000";
	}
	if (!strcmp(key, "debug")) {
		if (!value || strcmp(value, "shell") != 0)
			return "expected shell";
		o->debug_shell = true;
		return NULL;
	}
	if (!strcmp(key, "recovery"))
		return parse_recovery(o, value);
	if (!strcmp(key, "break")) {
		if (!value || !*value)
			return "expected a state name";
		return copy_value(o->break_before, sizeof(o->break_before), value) ? NULL : "too long";
	}
	if (!strcmp(key, "test-stop")) {
		if (!value || !*value)
			return "expected a step name";
		return copy_value(o->test_stop, sizeof(o->test_stop), value) ? NULL : "too long";
	}
	return "unknown rampart option";
}

int cmdline_parse(const char *cmdline, struct options *o, cmdline_warn_fn warn, void *userdata)
{
	_cleanup_free_ char *param = malloc(TOKEN_MAX);
	const char *p = cmdline;
	int warnings = 0;
	bool truncated;

	if (!param)
		return -ENOMEM;
	while ((p = next_param(p, param, TOKEN_MAX, &truncated))) {
		char *value = strchr(param, '=');
		const char *why;

		/* Everything after "--" belongs to init, not to us. */
		if (!strcmp(param, "--"))
			break;
		if (value)
			*value++ = '\0';
		/* The kernel treats - and _ alike in parameter names; so do we, for ours. */
		if (!strncmp(param, "rampart.", 8))
			for (char *c = param + 8; *c; c++)
				if (*c == '_')
					*c = '-';
		why = truncated ? "too long" : apply(o, param, value);
		if (why) {
			warnings++;
			if (warn)
				warn(userdata, param, value ? value : "", why);
		}
	}
	return warnings;
}
