// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of poolctl-monitor.sh (not a test of its own): allocates 1 MiB
 * on member <id>, exports it as a dma-buf, closes the dma-buf, frees
 * the allocation and prints "<pid> <handle> <fd>": what the scalepool
 * alloc, export and free events must say.  Exit status 2 on any error.
 *
 * Usage: monitor_export <member id>
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/scalepool.h>

int main(int argc, char **argv)
{
	struct scalepool_alloc a = { .size = sizeof(a) };
	struct scalepool_export e = { .size = sizeof(e) };
	struct scalepool_free f = { .size = sizeof(f) };
	unsigned int member;
	int fd;

	if (argc != 2)
		return 2;
	member = (unsigned int)strtoul(argv[1], NULL, 0);
	fd = open("/dev/scalepool", O_RDWR);
	if (fd < 0)
		return 2;
	a.length = 1 << 20;
	a.policy = SCALEPOOL_POLICY_BIND;
	a.nr_members = 1;
	a.members_ptr = (uintptr_t)&member;
	a.initiator = SCALEPOOL_INITIATOR_LOCAL;
	if (ioctl(fd, SCALEPOOL_ALLOC, &a)) {
		perror("ALLOC");
		return 2;
	}
	e.handle = a.handle;
	if (ioctl(fd, SCALEPOOL_EXPORT, &e)) {
		perror("EXPORT");
		return 2;
	}
	close(e.fd);
	f.handle = a.handle;
	if (ioctl(fd, SCALEPOOL_FREE, &f)) {
		perror("FREE");
		return 2;
	}
	close(fd);
	printf("%d %u %d\n", (int)getpid(), a.handle, e.fd);
	return 0;
}
