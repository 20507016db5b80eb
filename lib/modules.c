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

static int load_from(const char *dir, FILE *f, int *failed)
{
	char line[PATH_MAX], path[PATH_MAX * 2];
	int loaded = 0;

	*failed = 0;
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

static int open_list(const char *list_path, FILE **ret)
{
	*ret = fopen(list_path, "re");
	if (!*ret)
		return log_debug_errno(errno, "cannot read %s", list_path);
	return 0;
}

int modules_load_list(const char *dir, const char *list_path, int *failed)
{
	_cleanup_fclose_ FILE *f = NULL;
	int r = open_list(list_path, &f);

	*failed = 0;
	if (r < 0)
		return r;
	return load_from(dir, f, failed);
}

static void *load_thread(void *userdata)
{
	struct modules_job *job = userdata;

	for (size_t i = 0; i < job->n_lists; i++) {
		int failed, loaded = load_from(job->dir, job->lists[i], &failed);

		pthread_mutex_lock(&job->lock);
		job->loaded[i] = loaded;
		job->failed[i] = failed;
		job->n_done = i + 1;
		pthread_cond_broadcast(&job->done_cond);
		pthread_mutex_unlock(&job->lock);
	}
	return NULL;
}

static void close_lists(struct modules_job *job)
{
	for (size_t i = 0; i < job->n_lists; i++)
		if (job->lists[i]) {
			fclose(job->lists[i]);
			job->lists[i] = NULL;
		}
}

int modules_load_start(struct modules_job *job, const char *dir, const char *const *list_paths, size_t n)
{
	int r;

	*job = (struct modules_job){ .dir = dir };
	pthread_mutex_init(&job->lock, NULL);
	pthread_cond_init(&job->done_cond, NULL);
	if (n > MODULES_LISTS_MAX)
		return -E2BIG;
	job->n_lists = n;
	for (size_t i = 0; i < n; i++) {
		r = open_list(list_paths[i], &job->lists[i]);
		if (r < 0) {
			close_lists(job);
			job->n_lists = 0;
			return r;
		}
	}
	r = pthread_create(&job->thread, NULL, load_thread, job);
	if (r) {
		log_debug_errno(r, "no thread for loading kernel modules; loading them now");
		load_thread(job);
	} else {
		job->started = 1;
	}
	return 0;
}

int modules_load_wait(struct modules_job *job, size_t n, int *failed)
{
	int loaded = 0;

	*failed = 0;
	if (n > job->n_lists)
		n = job->n_lists;
	pthread_mutex_lock(&job->lock);
	while (job->n_done < n)
		pthread_cond_wait(&job->done_cond, &job->lock);
	pthread_mutex_unlock(&job->lock);
	for (size_t i = 0; i < n; i++) {
		loaded += job->loaded[i];
		*failed += job->failed[i];
	}
	return loaded;
}

void modules_load_end(struct modules_job *job)
{
	if (job->started) {
		pthread_join(job->thread, NULL);
		job->started = 0;
	}
	close_lists(job);
}
