// SPDX-License-Identifier: GPL-2.0
/*
 * migrate_holder: the process whose allocation poolctl-migrate.sh moves.
 * Not a test of its own (no suite lists it).
 *
 *   migrate_holder BYTES NODE
 *
 * Opens /dev/scalepool, allocates BYTES bound to NODE's member (through
 * the UAPI, so that it knows its fd), maps it and writes a word pattern
 * unique to each 8-byte word, prints "PID FD HANDLE" on stdout, then
 * keeps a thread reading and rewriting words all over it (checking
 * each) while it waits for SIGUSR1 or SIGTERM.  On SIGUSR1 it stops the thread,
 * checks every word again, prints "intact" or "corrupt at OFFSET" and its
 * placement as INFO reports it to its own fd ("placement NODE:BYTES
 * ..."), and exits 0 when intact, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/scalepool.h>

#define MAGIC	0x5ca1ab1e00000000ULL

static volatile uint64_t *words;
static size_t nr_words;
static volatile int stop;
static volatile size_t bad = SIZE_MAX;

static uint64_t want(size_t i)
{
	return MAGIC ^ (i * 0x9e3779b97f4a7c15ULL);
}

/*
 * Reads and rewrites one word in every 512 bytes (every page, many
 * times a pass) until told to stop, yielding between passes: the moves
 * meet accesses without the thread taking a whole vCPU of the guest.
 */
static void *toucher(void *arg)
{
	size_t i;

	while (!stop) {
		for (i = 0; i < nr_words && !stop; i += 64) {
			uint64_t v = words[i];

			if (v != want(i) && bad == SIZE_MAX)
				bad = i;
			words[i] = v;
		}
		sched_yield();
	}
	return NULL;
}

/* The member of NUMA node @node, from sysfs; -1 when none. */
static int member_of_node(int node)
{
	char path[128], buf[32];
	int id, n;
	FILE *f;

	for (id = 0; id < 256; id++) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/scalepool/members/%d/node", id);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fgets(buf, sizeof(buf), f) ? atoi(buf) : -1;
		fclose(f);
		if (n == node)
			return id;
	}
	return -1;
}

static void print_placement(int fd, unsigned int handle)
{
	struct scalepool_placement pl[8];
	struct scalepool_info info = {
		.size = sizeof(info), .handle = handle, .nr_placements = 8,
		.placements_ptr = (uintptr_t)pl,
	};
	unsigned int i;

	if (ioctl(fd, SCALEPOOL_INFO, &info)) {
		printf("placement error %d\n", errno);
		return;
	}
	printf("placement");
	for (i = 0; i < info.nr_placements && i < 8; i++)
		printf(" %d:%llu", pl[i].node,
		       (unsigned long long)pl[i].bytes);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct scalepool_alloc a = { .size = sizeof(a) };
	unsigned int member;
	pthread_t th;
	sigset_t set;
	size_t i;
	int fd, sig;

	if (argc != 3)
		return 2;
	member = (unsigned int)member_of_node(atoi(argv[2]));
	fd = open("/dev/scalepool", O_RDWR);
	if (fd < 0 || (int)member < 0)
		return 2;
	a.length = strtoull(argv[1], NULL, 0);
	a.policy = SCALEPOOL_POLICY_BIND;
	a.nr_members = 1;
	a.members_ptr = (uintptr_t)&member;
	a.initiator = SCALEPOOL_INITIATOR_LOCAL;
	a.flags = SCALEPOOL_ALLOC_POPULATE;
	if (ioctl(fd, SCALEPOOL_ALLOC, &a))
		return 2;
	words = mmap(NULL, a.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		     (off_t)a.offset);
	if (words == MAP_FAILED)
		return 2;
	nr_words = a.length / sizeof(uint64_t);
	for (i = 0; i < nr_words; i++)
		words[i] = want(i);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&th, NULL, toucher, NULL))
		return 2;
	printf("%d %d %u\n", (int)getpid(), fd, a.handle);
	fflush(stdout);
	if (sigwait(&set, &sig) || sig != SIGUSR1) {
		stop = 1;
		pthread_join(th, NULL);
		return 0;
	}
	stop = 1;
	pthread_join(th, NULL);
	for (i = 0; i < nr_words && bad == SIZE_MAX; i++)
		if (words[i] != want(i))
			bad = i;
	if (bad == SIZE_MAX)
		printf("intact\n");
	else
		printf("corrupt at %zu\n", bad * sizeof(uint64_t));
	print_placement(fd, a.handle);
	return bad == SIZE_MAX ? 0 : 1;
}
