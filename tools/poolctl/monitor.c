// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl monitor: follow the module's trace events (TRACE_SYSTEM
 * scalepool, kernel/trace.h) and print each as one line of JSON, as
 * ndctl's "cxl monitor" does for the CXL events.
 *
 * The events are enabled in a tracefs instance of our own
 * (instances/poolctl-monitor-<pid>), so that the global buffer and
 * other monitors are left alone, and the instance is removed on exit,
 * SIGINT, SIGTERM and SIGHUP; one whose monitor died without removing
 * it (SIGKILL) is removed by the next monitor.  libtracefs reads the
 * instance's per-CPU raw buffers (tracefs_iterate_raw_events(), in time
 * order) whenever epoll says its trace_pipe has data; libtraceevent
 * decodes the records with the formats the kernel gives, so every field
 * of every event is printed without a list of them here, symbolic ones
 * (policy, reason) by the names the kernel's print format gives.
 *
 * This is poolctl-monitor.so, the plugin that poolctl loads to run the
 * command (plugin.h): poolctl links no libtracefs itself.  The options,
 * usage and help are poolctl's (monitor-cmd.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <json-c/json.h>
#include <linux/magic.h>
#include <tracefs.h>

#include "poolctl.h"
#include "plugin.h"

#define CMD "monitor"
#define MONITOR_SYSTEM "scalepool"
/* How often the loop looks whether the module is still there, in ms. */
#define MONITOR_TICK_MS 1000
#define CAP_SYS_ADMIN_BIT 21
#define MONITOR_TRACEFS "/sys/kernel/tracing"

struct monitor {
	const struct monitor_args *a;
	struct tep_handle *tep;
	struct tracefs_instance *inst;
	char name[MONITOR_NAME_MAX];
	unsigned long long seen;
	bool done;
	int rc;
};

static volatile sig_atomic_t monitor_signal;

/* CAP_SYS_ADMIN in the effective set: tracefs wants it, not only uid 0. */
static bool monitor_capable(void)
{
	unsigned long long eff = 0;
	char line[256];
	bool found = false;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return geteuid() == 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &eff) == 1;
	fclose(f);
	return found ? (eff >> CAP_SYS_ADMIN_BIT) & 1 : geteuid() == 0;
}

static bool monitor_is_tracefs(void)
{
	struct statfs sfs;

	return !statfs(MONITOR_TRACEFS, &sfs) && sfs.f_type == TRACEFS_MAGIC;
}

/*
 * tracefs on /sys/kernel/tracing, mounted now when it is not: libtracefs
 * would take debugfs's tracing directory instead when debugfs is
 * mounted, and the monitor needs no debugfs.
 */
static int monitor_tracefs(void)
{
	static char dir[] = MONITOR_TRACEFS;

	if (!monitor_is_tracefs() &&
	    mount("tracefs", MONITOR_TRACEFS, "tracefs", 0, NULL) &&
	    !monitor_is_tracefs())
		return poolctl_err(CMD, errno, "tracefs is not mounted on %s "
				   "and cannot be mounted", MONITOR_TRACEFS);
	if (tracefs_set_tracing_dir(dir))
		return poolctl_err(CMD, errno, "cannot use tracefs on %s",
				   MONITOR_TRACEFS);
	return 0;
}

/* tracefs mounted (or mounted now), the module's events there, parsed. */
static int monitor_prepare(struct monitor *m)
{
	const char *systems[] = { MONITOR_SYSTEM, NULL };
	const char *dir = MONITOR_TRACEFS;
	unsigned int i;

	if (!monitor_capable())
		return poolctl_err(CMD, EPERM, "needs root (CAP_SYS_ADMIN) to "
				   "read the trace buffers");
	if (monitor_tracefs())
		return 1;
	if (!tracefs_dir_exists(NULL, "events/" MONITOR_SYSTEM))
		return poolctl_err(CMD, ENOENT, "scalepool module not loaded "
				   "(no scalepool events in %s/events)", dir);
	m->tep = tracefs_local_events_system(dir, systems);
	if (!m->tep)
		return poolctl_err(CMD, errno, "cannot read the formats of "
				   "the scalepool events in %s", dir);
	for (i = 0; i < m->a->nr_events; i++)
		if (!tep_find_event_by_name(m->tep, MONITOR_SYSTEM,
					    m->a->events[i]))
			return poolctl_err(CMD, ENOENT, "no event '%s' (see "
					   "'poolctl help monitor')",
					   m->a->events[i]);
	return 0;
}

/*
 * Disables scalepool's events of @inst, then removes it (the rmdir
 * disables the other events itself: tracefs_event_disable() of every
 * system would write thousands of files).  tracefs_instance_destroy()'s
 * result.
 */
static int monitor_instance_destroy(struct tracefs_instance *inst)
{
	tracefs_event_disable(inst, MONITOR_SYSTEM, NULL);
	return tracefs_instance_destroy(inst);
}

/*
 * Removes the instances of monitors that are gone: one killed with
 * SIGKILL (or that crashed) could not remove its own, and its enabled
 * events would fill that buffer for nobody.  An instance whose pid
 * lives is left alone, whatever that process is now.  Quietly: it is
 * housekeeping, and a failure leaves things as they were.
 */
static void monitor_reap_stale(void)
{
	static const char prefix[] = "poolctl-monitor-";
	char **names = tracefs_instances(NULL);
	struct tracefs_instance *inst;
	char *end;
	long pid;
	int i;

	for (i = 0; names && names[i]; i++) {
		if (strncmp(names[i], prefix, strlen(prefix)))
			continue;
		errno = 0;
		pid = strtol(names[i] + strlen(prefix), &end, 10);
		if (errno || *end || pid <= 0 || pid > INT_MAX ||
		    !kill((pid_t)pid, 0) || errno != ESRCH)
			continue;
		inst = tracefs_instance_alloc(NULL, names[i]);
		if (!inst)
			continue;
		monitor_instance_destroy(inst);
		tracefs_instance_free(inst);
	}
	tracefs_list_free(names);
}

/* Our instance, its clock CLOCK_MONOTONIC, the events enabled. */
static int monitor_instance_create(struct monitor *m)
{
	unsigned int i;
	int rc = 0;

	snprintf(m->name, sizeof(m->name), "poolctl-monitor-%d",
		 (int)getpid());
	m->inst = tracefs_instance_create(m->name);
	if (!m->inst)
		return poolctl_err(CMD, errno, "cannot create the tracefs "
				   "instance %s", m->name);
	if (tracefs_instance_file_write(m->inst, "trace_clock", "mono") < 0)
		return poolctl_err(CMD, errno, "cannot set the trace clock of "
				   "instance %s", m->name);
	if (!m->a->nr_events)
		rc = tracefs_event_enable(m->inst, MONITOR_SYSTEM, NULL);
	for (i = 0; !rc && i < m->a->nr_events; i++)
		rc = tracefs_event_enable(m->inst, MONITOR_SYSTEM,
					  m->a->events[i]);
	if (rc)
		return poolctl_err(CMD, errno, "cannot enable the scalepool "
				   "events in instance %s", m->name);
	return 0;
}

static void monitor_instance_remove(struct monitor *m)
{
	if (!m->inst)
		return;
	if (monitor_instance_destroy(m->inst) && !m->rc)
		m->rc = poolctl_err(CMD, errno, "cannot remove the tracefs "
				    "instance %s", m->name);
	tracefs_instance_free(m->inst);
	m->inst = NULL;
}

/* The name the print format gives @value of symbolic field @name. */
static const char *monitor_symbol(struct tep_event *ev, const char *name,
				  unsigned long long value)
{
	struct tep_print_flag_sym *sym;
	struct tep_print_arg *arg;

	for (arg = ev->print_fmt.args; arg; arg = arg->next) {
		if (arg->type != TEP_PRINT_SYMBOL ||
		    arg->symbol.field->type != TEP_PRINT_FIELD ||
		    strcmp(arg->symbol.field->field.name, name))
			continue;
		for (sym = arg->symbol.symbols; sym; sym = sym->next)
			if (strtoull(sym->value, NULL, 0) == value)
				return sym->str;
	}
	return NULL;
}

static unsigned long long monitor_element(const unsigned char *p,
					  unsigned int size)
{
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	switch (size) {
	case 8:
		memcpy(&v64, p, 8);
		return v64;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	default:
		return *p;
	}
}

/* A string, or an array of numbers (the alloc event's members, bytes). */
static struct json_object *monitor_array(struct tep_event *ev,
					 struct tep_format_field *f,
					 struct tep_record *r, bool *ok)
{
	struct json_object *arr;
	const unsigned char *p;
	unsigned int size, i;
	int len = 0;

	p = tep_get_field_raw(NULL, ev, f->name, r, &len, 0);
	if (!p || len < 0)
		return NULL;
	if (f->flags & TEP_FIELD_IS_STRING)
		return json_object_new_string_len((const char *)p,
			(int)strnlen((const char *)p, (size_t)len));
	size = f->elementsize;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return NULL;
	arr = pj_array(ok);
	for (i = 0; arr && i + size <= (unsigned int)len; i += size)
		pj_append(arr, pj_u64(monitor_element(p + i, size), ok), ok);
	return arr;
}

static struct json_object *monitor_field(struct tep_event *ev,
					 struct tep_format_field *f,
					 struct tep_record *r, bool *ok)
{
	unsigned long long v;
	const char *sym;
	int shift;

	if (f->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_DYNAMIC))
		return monitor_array(ev, f, r, ok);
	if (tep_read_number_field(f, r->data, &v))
		return NULL;
	sym = monitor_symbol(ev, f->name, v);
	if (sym)
		return pj_str(sym, ok);
	if (!strcmp(f->type, "bool"))
		return pj_bool(v, ok);
	if (f->flags & TEP_FIELD_IS_SIGNED && f->size < 8) {
		shift = 64 - 8 * f->size;
		return pj_int((long long)(v << shift) >> shift, ok);
	}
	return pj_u64(v, ok);
}

static struct json_object *monitor_record(struct tep_event *ev,
					  struct tep_record *r, int cpu,
					  bool *ok)
{
	struct json_object *root = pj_object(ok), *data = pj_object(ok);
	struct tep_format_field *f;

	if (!root || !data) {
		json_object_put(root);
		json_object_put(data);
		return NULL;
	}
	pj_add(root, "event", pj_str(ev->name, ok), ok);
	pj_add(root, "timestamp", pj_u64(r->ts, ok), ok);
	pj_add(root, "cpu", pj_int(cpu, ok), ok);
	pj_add(root, "pid", pj_int(tep_data_pid(ev->tep, r), ok), ok);
	for (f = ev->format.fields; f; f = f->next)
		pj_add(data, f->name, monitor_field(ev, f, r, ok), ok);
	pj_add(root, "data", data, ok);
	return root;
}

/* tracefs_iterate_raw_events()'s callback: non-zero stops it. */
static int monitor_event(struct tep_event *ev, struct tep_record *r, int cpu,
			 void *ctx)
{
	struct monitor *m = ctx;
	struct json_object *j;
	bool ok = true;

	if (m->done)
		return 1;
	j = monitor_record(ev, r, cpu, &ok);
	if (j && ok)
		printf("%s\n", json_object_to_json_string_ext(j,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	if (!j || !ok) {
		m->rc = poolctl_err(CMD, ENOMEM, "cannot build the output");
		m->done = true;
	} else if (fflush(stdout) || ferror(stdout)) {
		m->rc = poolctl_err(CMD, errno, "cannot write output");
		m->done = true;
	} else if (++m->seen == m->a->count) {
		m->done = true;
	}
	return m->done;
}

static void monitor_on_signal(int sig)
{
	monitor_signal = sig;
}

/*
 * SIGINT, SIGTERM and SIGHUP end the loop (blocked but while epoll
 * waits, so none is lost between a check and the wait); SIGPIPE is an
 * output error.  @old gets the mask to wait with and to restore.
 */
static void monitor_signals(sigset_t *old)
{
	struct sigaction sa = { .sa_handler = monitor_on_signal };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static double monitor_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Milliseconds epoll may wait: a tick, or what is left of --duration. */
static int monitor_wait_ms(const struct monitor *m, double end)
{
	double left;

	if (!m->a->duration)
		return MONITOR_TICK_MS;
	left = end - monitor_now();
	if (left <= 0)
		return 0;
	return left * 1000 < MONITOR_TICK_MS ? (int)(left * 1000) + 1 :
					       MONITOR_TICK_MS;
}

/* Wait for data on @fd and print it, until done, a signal or the end. */
static void monitor_loop(struct monitor *m, int fd, const sigset_t *mask)
{
	double end = monitor_now() + m->a->duration;
	struct epoll_event ev = { .events = EPOLLIN };
	int ep, n;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		m->rc = poolctl_err(CMD, errno, "cannot wait for the events");
		goto out;
	}
	while (!m->done && !monitor_signal) {
		n = epoll_pwait(ep, &ev, 1, monitor_wait_ms(m, end), mask);
		if (n < 0 && errno != EINTR) {
			m->rc = poolctl_err(CMD, errno, "cannot wait for the "
					    "events");
			break;
		}
		if (n > 0)
			tracefs_iterate_raw_events(m->tep, m->inst, NULL, 0,
						   monitor_event, m);
		if (!m->done && !tracefs_dir_exists(m->inst,
					"events/" MONITOR_SYSTEM)) {
			m->rc = poolctl_err(CMD, 0, "the scalepool module was "
					    "unloaded");
			break;
		}
		if (m->a->duration && monitor_now() >= end)
			break;
	}
	/* What came before the end or the signal is printed too. */
	if (!m->done && !m->rc)
		tracefs_iterate_raw_events(m->tep, m->inst, NULL, 0,
					   monitor_event, m);
out:
	if (ep >= 0)
		close(ep);
}

/* The command, after poolctl parsed its options (monitor-cmd.c). */
int poolctl_monitor_v1(const struct monitor_args *a)
{
	struct monitor m = { .a = a };
	sigset_t old;
	int rc, fd;

	rc = monitor_prepare(&m);
	if (rc)
		goto out_tep;
	/* Before the instance exists: no signal may leave it behind. */
	monitor_signals(&old);
	monitor_reap_stale();
	rc = monitor_instance_create(&m);
	if (!rc) {
		fd = tracefs_instance_file_open(m.inst, "trace_pipe", O_RDONLY);
		if (fd < 0) {
			m.rc = poolctl_err(CMD, errno, "cannot open the trace "
					   "pipe of instance %s", m.name);
		} else {
			monitor_loop(&m, fd, &old);
			close(fd);
		}
	}
	m.rc = m.rc ?: rc;
	monitor_instance_remove(&m);
	sigprocmask(SIG_SETMASK, &old, NULL);
	rc = m.rc;
out_tep:
	tep_free(m.tep);
	return rc;
}
