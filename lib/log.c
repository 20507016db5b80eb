/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define LOG_LINE_MAX 1024

static int kmsg_fd = -1;
static int console_fd = STDERR_FILENO;
static int max_level = LOG_INFO;
/* The kernel echoes kmsg lines below its console loglevel to the console itself. */
static int kernel_console_level = 0;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

int log_level_from_string(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	if (strcmp(s, "error") == 0)
		return LOG_ERR;
	return -1;
}

const char *log_level_to_string(int level)
{
	if (level < 0 || (size_t)level >= ARRAY_SIZE(level_names))
		return "?";
	return level_names[level];
}

uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int read_kernel_console_level(void)
{
	char buf[64] = "";
	_cleanup_close_ int fd = open("/proc/sys/kernel/printk", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return 0;
	return atoi(buf);
}

void log_open(void)
{
	int fd;

	/* Userspace kmsg writes are rate limited by default; an initrd's log must be whole. */
	fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "on\n", 3);
		close(fd);
	}
	if (kmsg_fd < 0)
		kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		if (console_fd > STDERR_FILENO)
			close(console_fd);
		console_fd = fd;
	}
	kernel_console_level = read_kernel_console_level();
}

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

size_t log_format_console(char *buf, size_t size, uint64_t usec, const char *msg)
{
	int n = snprintf(buf, size, "[%5lu.%06lu] rampart: %s\n",
			 (unsigned long)(usec / 1000000u), (unsigned long)(usec % 1000000u), msg);

	if (n < 0)
		return 0;
	if ((size_t)n >= size) {
		/* Truncated: still end the line. */
		buf[size - 2] = '\n';
		return size - 1;
	}
	return (size_t)n;
}

static void log_write(int level, const char *msg)
{
	char line[LOG_LINE_MAX + 64];
	size_t n;

	if (kmsg_fd >= 0) {
		int len = snprintf(line, sizeof(line), "<%d>rampart: %s\n", level, msg);
		if (len > 0)
			(void)!write(kmsg_fd, line, (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1);
		if (level < kernel_console_level)
			return;
	}
	n = log_format_console(line, sizeof(line), now_usec(), msg);
	(void)!write(console_fd, line, n);
}

void log_sanitize(char *msg)
{
	for (unsigned char *c = (unsigned char *)msg; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			*c = '?';
}

static void log_vmsg(int level, int err, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	int n;

	if (level > max_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n >= 0 && err && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(err));
	log_sanitize(msg);
	log_write(level, msg);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vmsg(level, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

int log_errno(int level, int err, const char *fmt, ...)
{
	va_list ap;

	err = err < 0 ? -err : err;
	va_start(ap, fmt);
	log_vmsg(level, err, fmt, ap);
	va_end(ap);
	errno = err;
	return -err;
}
