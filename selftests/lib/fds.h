/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Directory entries and the one count of open file descriptors for the
 * C tests, host and guest alike: a leak shows as a count that grew
 * across a call.
 */
#ifndef _SCALEPOOL_TEST_FDS_H_
#define _SCALEPOOL_TEST_FDS_H_

#include <dirent.h>

/* Entries of directory @path but "." and "..", or -1. */
static inline int t_dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Open file descriptors of this process; -1 without /proc. */
static inline int t_count_fds(void)
{
	int n = t_dir_entries("/proc/self/fd");

	return n < 0 ? -1 : n - 1;	/* the directory's own */
}

#endif /* _SCALEPOOL_TEST_FDS_H_ */
