/* SPDX-License-Identifier: MIT */
#include "modules.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static int load_one(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return log_debug_errno(errno, "module %s: cannot open", path);
	if (syscall(SYS_finit_module, fd, "", 0) < 0) {
		if (errno == EEXIST)
			return 0;
		return log_debug_errno(errno, "module %s: not loaded", path);
	}
	log_debug("loaded module %s", path);
	return 1;
}

int modules_load_list(const char *dir, const char *list_path, int *failed)
{
	_cleanup_fclose_ FILE *f = fopen(list_path, "re");
	char line[PATH_MAX], path[PATH_MAX * 2];
	int loaded = 0;

	*failed = 0;

	if (!f)
		return errno == ENOENT ? 0 : log_debug_errno(errno, "cannot read %s", list_path);
	while (fgets(line, sizeof(line), f)) {
		int r;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, line);
		r = load_one(path);
		if (r < 0)
			(*failed)++;
		else
			loaded += r;
	}
	return loaded;
}
