/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "reason.h"

int reason_set(struct reason *why, int err, const char *fmt, ...)
{
	char text[sizeof(why->text)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_debug("%s (%d)", text, err);
	if (why)
		snprintf(why->text, sizeof(why->text), "%s", text);
	return err;
}
