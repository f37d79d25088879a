/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scalepool: trace events (Documentation/tracing.rst lists them with
 * their fields; poolctl monitor follows them).
 *
 * An out-of-tree header, as samples/trace_events does it: define_trace.h
 * includes this file again as <TRACE_INCLUDE_PATH/TRACE_INCLUDE_FILE.h>,
 * its path in the module's tree, found through main.o's -I$(src)
 * (Kbuild).  main.c defines CREATE_TRACE_POINTS.
 *
 * Allocations are named by @id, a number the module gives every
 * allocation it makes (unique while it is loaded), and by the handle of
 * the file that made it; members by their id.  The task of an event is
 * the event's common_pid.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM scalepool

#if !defined(_SP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _SP_TRACE_H

#include <linux/tracepoint.h>

#include "move.h"

#ifndef _SP_TRACE_HELPERS
#define _SP_TRACE_HELPERS
/* The alloc event's arrays: each part's member id and bytes. */
static inline void sp_trace_parts(u32 *ids, u64 *bytes,
				  const struct sp_alloc_part *parts,
				  unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		ids[i] = parts[i].m->id;
		bytes[i] = parts[i].bytes;
	}
}
#endif

TRACE_DEFINE_ENUM(SP_MOVE_DRAIN);
TRACE_DEFINE_ENUM(SP_MOVE_EVACUATE);
TRACE_DEFINE_ENUM(SP_MOVE_MIGRATE);
TRACE_DEFINE_ENUM(SP_MOVE_PROMOTE);
TRACE_DEFINE_ENUM(SP_MOVE_DEMOTE);

DECLARE_EVENT_CLASS(scalepool_member_class,
		    TP_PROTO(const struct sp_member *m, const char *pci),
		    TP_ARGS(m, pci),
		    TP_STRUCT__entry(__field(u32, id)
				     __field(int, nid)
				     __field(u64, capacity)
				     __string(kind, sp_member_kind_name(m))
				     __string(name, m->name)
				     __string(pci, pci)),
		    TP_fast_assign(__entry->id = m->id;
				   __entry->nid = m->nid;
				   __entry->capacity = m->capacity;
				   __assign_str(kind);
				   __assign_str(name);
				   __assign_str(pci);),
		    TP_printk("id=%u kind=%s name=%s nid=%d pci=%s capacity=%llu",
			      __entry->id, __get_str(kind), __get_str(name),
			      __entry->nid, __get_str(pci), __entry->capacity)
);

/* A member joined the pool (a node with memory, or a peer's BAR). */
DEFINE_EVENT(scalepool_member_class, scalepool_member_add,
	     TP_PROTO(const struct sp_member *m, const char *pci),
	     TP_ARGS(m, pci)
);

/* A member left the pool (its node lost its memory, or REMOVE). */
DEFINE_EVENT(scalepool_member_class, scalepool_member_remove,
	     TP_PROTO(const struct sp_member *m, const char *pci),
	     TP_ARGS(m, pci)
);

/*
 * ALLOC succeeded: @parts are the allocation's parts (member and
 * bytes), in member id order, read under its @move_lock.
 */
TRACE_EVENT(scalepool_alloc,
	    TP_PROTO(const struct sp_alloc *a,
		     const struct sp_alloc_part *parts, unsigned int nr),
	    TP_ARGS(a, parts, nr),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, handle)
			     __field(u64, length)
			     __field(u32, policy)
			     __field(u32, flags)
			     __field(u32, nr_members)
			     __dynamic_array(u32, members, nr)
			     __dynamic_array(u64, bytes, nr)),
	    TP_fast_assign(sp_trace_parts(__get_dynamic_array(members),
					  __get_dynamic_array(bytes), parts, nr);
			   __entry->id = a->id;
			   __entry->handle = a->handle;
			   __entry->length = a->length;
			   __entry->policy = READ_ONCE(a->policy);
			   __entry->flags = a->flags;
			   __entry->nr_members = nr;),
	    TP_printk("id=%llu handle=%u length=%llu policy=%s flags=%#x members=%s bytes=%s",
		      __entry->id, __entry->handle, __entry->length,
		      __print_symbolic(__entry->policy,
				       { SCALEPOOL_POLICY_BIND, "bind" },
				       { SCALEPOOL_POLICY_PREFERRED, "preferred" },
				       { SCALEPOOL_POLICY_INTERLEAVE, "interleave" },
				       { SCALEPOOL_POLICY_NEAREST, "nearest" },
				       { SCALEPOOL_POLICY_TIERED, "tiered" }),
		      __entry->flags,
		      __print_array(__get_dynamic_array(members),
				    __entry->nr_members, sizeof(u32)),
		      __print_array(__get_dynamic_array(bytes),
				    __entry->nr_members, sizeof(u64)))
);

/*
 * The allocation's memory went back: its last reference went (FREE, or
 * the last munmap() or dma-buf after it, or the file's release).
 */
TRACE_EVENT(scalepool_free,
	    TP_PROTO(const struct sp_alloc *a),
	    TP_ARGS(a),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, handle)
			     __field(u64, length)),
	    TP_fast_assign(__entry->id = a->id;
			   __entry->handle = a->handle;
			   __entry->length = a->length;),
	    TP_printk("id=%llu handle=%u length=%llu", __entry->id,
		      __entry->handle, __entry->length)
);

/* EXPORT installed a dma-buf of the allocation on @fd. */
TRACE_EVENT(scalepool_export,
	    TP_PROTO(const struct sp_alloc *a, int fd, bool rdonly),
	    TP_ARGS(a, fd, rdonly),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, handle)
			     __field(u64, length)
			     __field(int, fd)
			     __field(bool, rdonly)),
	    TP_fast_assign(__entry->id = a->id;
			   __entry->handle = a->handle;
			   __entry->length = a->length;
			   __entry->fd = fd;
			   __entry->rdonly = rdonly;),
	    TP_printk("id=%llu handle=%u length=%llu fd=%d rdonly=%d",
		      __entry->id, __entry->handle, __entry->length,
		      __entry->fd, __entry->rdonly)
);

/* The memory behind the allocation went away (its peer member did). */
TRACE_EVENT(scalepool_revoke,
	    TP_PROTO(const struct sp_alloc *a, u32 member),
	    TP_ARGS(a, member),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, handle)
			     __field(u64, length)
			     __field(u32, member)),
	    TP_fast_assign(__entry->id = a->id;
			   __entry->handle = a->handle;
			   __entry->length = a->length;
			   __entry->member = member;),
	    TP_printk("id=%llu handle=%u length=%llu member=%u", __entry->id,
		      __entry->handle, __entry->length, __entry->member)
);

/* One folio moved by sp_move_folio(), for @reason. */
TRACE_EVENT(scalepool_move,
	    TP_PROTO(const struct sp_alloc *a, enum sp_move_reason reason,
		     u32 from, u32 to, u64 bytes, bool huge),
	    TP_ARGS(a, reason, from, to, bytes, huge),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, handle)
			     __field(u32, reason)
			     __field(u32, from)
			     __field(u32, to)
			     __field(u64, bytes)
			     __field(bool, huge)),
	    TP_fast_assign(__entry->id = a->id;
			   __entry->handle = a->handle;
			   __entry->reason = reason;
			   __entry->from = from;
			   __entry->to = to;
			   __entry->bytes = bytes;
			   __entry->huge = huge;),
	    TP_printk("id=%llu handle=%u reason=%s from=%u to=%u bytes=%llu huge=%d",
		      __entry->id, __entry->handle,
		      __print_symbolic(__entry->reason,
				       { SP_MOVE_DRAIN, "drain" },
				       { SP_MOVE_EVACUATE, "evacuate" },
				       { SP_MOVE_MIGRATE, "migrate" },
				       { SP_MOVE_PROMOTE, "promote" },
				       { SP_MOVE_DEMOTE, "demote" }),
		      __entry->from, __entry->to, __entry->bytes,
		      __entry->huge)
);

/* The pool refused to let memory go offline (MEM_GOING_OFFLINE). */
TRACE_EVENT(scalepool_offline_refused,
	    TP_PROTO(int nid, unsigned long start_pfn, unsigned long nr_pages,
		     int err, const char *why),
	    TP_ARGS(nid, start_pfn, nr_pages, err, why),
	    TP_STRUCT__entry(__field(int, nid)
			     __field(unsigned long, start_pfn)
			     __field(unsigned long, nr_pages)
			     __field(int, err)
			     __string(why, why)),
	    TP_fast_assign(__entry->nid = nid;
			   __entry->start_pfn = start_pfn;
			   __entry->nr_pages = nr_pages;
			   __entry->err = err;
			   __assign_str(why);),
	    TP_printk("nid=%d start_pfn=%#lx nr_pages=%lu err=%d why=%s",
		      __entry->nid, __entry->start_pfn, __entry->nr_pages,
		      __entry->err, __get_str(why))
);

#endif /* _SP_TRACE_H */

/* Outside the guard: define_trace.h reads the events again. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH kernel
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
