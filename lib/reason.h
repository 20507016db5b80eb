/* SPDX-License-Identifier: MIT */
/*
 * Why a library call failed, for the caller that decides what to do about
 * it.  The one way a reason travels (README, "Contributing"): a library
 * function returns a negative errno and, where a sentence helps the
 * operator, fills the caller's struct reason; it logs at debug only.  The
 * caller that decides logs once, naming the object.
 */
#ifndef RAMPART_REASON_H
#define RAMPART_REASON_H

struct reason {
	char text[256]; /* "" until set */
};

/*
 * Sets @why's text (if @why is not NULL) and returns @err, so that a
 * function can "return reason_set(why, -EBADMSG, "not JSON");".
 */
int reason_set(struct reason *why, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The text, or @fallback if none was set. */
static inline const char *reason_or(const struct reason *why, const char *fallback)
{
	return why->text[0] ? why->text : fallback;
}

#endif
