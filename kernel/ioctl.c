// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: ioctl dispatch.
 *
 * One table entry per command, as in iommufd: the generic path checks
 * the command, reads the user's struct whatever its size (the rules are
 * in the DOC block of the UAPI header), runs the handler and writes the
 * struct back.  Handlers only see a kernel copy of their struct.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/nodemask.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/uaccess.h>

#include <linux/scalepool.h>
#include "scalepool.h"
#include "visible.h"

/*
 * The most bytes of allocations one open file of /dev/scalepool may hold,
 * 0 for no cap.  SP_FD_CAP_AUTO until sp_ioctl_init() sets the default:
 * half of the RAM at load time, so that a single file (a user of the
 * device, or a program gone wrong) cannot take all of the machine's
 * memory, whatever its memory cgroup allows.
 */
#define SP_FD_CAP_AUTO	U64_MAX
static unsigned long long max_bytes_per_fd = SP_FD_CAP_AUTO;
module_param(max_bytes_per_fd, ullong, 0644);
MODULE_PARM_DESC(max_bytes_per_fd,
		 "Most bytes of allocations per open file, 0: no cap (default: half the RAM)");

/**
 * sp_ioctl_init() - set the per-file cap's default
 */
void sp_ioctl_init(void)
{
	if (max_bytes_per_fd == SP_FD_CAP_AUTO)
		max_bytes_per_fd = (u64)totalram_pages() << (PAGE_SHIFT - 1);
}

/**
 * sp_charge_fits() - may a file holding @charged bytes take @bytes more?
 * @charged: bytes the file holds
 * @bytes: bytes of the new allocation
 * @cap: the file's cap, 0 for none
 * @sum: out: @charged + @bytes, when they fit
 *
 * Return: true when the sum neither wraps nor passes @cap.
 */
VISIBLE_IF_KUNIT bool sp_charge_fits(u64 charged, u64 bytes, u64 cap, u64 *sum)
{
	return !check_add_overflow(charged, bytes, sum) && (!cap || *sum <= cap);
}
EXPORT_SYMBOL_IF_KUNIT(sp_charge_fits);

/*
 * Count @bytes against the cap of @sf before anything is allocated, so
 * that racing ALLOCs on one file cannot pass it together.
 */
static int sp_file_charge(struct sp_file *sf, u64 bytes)
{
	u64 cap = READ_ONCE(max_bytes_per_fd);
	s64 old = atomic64_read(&sf->charged);
	u64 sum;

	do {
		if (!sp_charge_fits((u64)old, bytes, cap, &sum))
			return -ENOSPC;
	} while (!atomic64_try_cmpxchg(&sf->charged, &old, sum));
	return 0;
}

static void sp_file_uncharge(struct sp_file *sf, u64 bytes)
{
	atomic64_sub(bytes, &sf->charged);
}

/**
 * struct sp_ucmd - one ioctl call, as the handler sees it
 * @sf: the file the call was made on
 * @f_mode: that file's mode (FMODE_READ, FMODE_WRITE)
 * @ubuf: the user's struct
 * @user_size: its size, as user space declared it
 * @cmd: the kernel copy of the struct, written back after the handler
 * @alloc: ALLOC: the new allocation, published by its finish step
 * @dmabuf: EXPORT: the dma-buf whose fd its finish step installs
 */
struct sp_ucmd {
	struct sp_file *sf;
	fmode_t f_mode;
	void __user *ubuf;
	u32 user_size;
	void *cmd;
	struct sp_alloc *alloc;
	struct dma_buf *dmabuf;
};

/* Room for the struct of any command. */
union sp_ucmd_buffer {
	struct scalepool_query query;
	struct scalepool_alloc alloc;
	struct scalepool_free free;
	struct scalepool_info info;
	struct scalepool_export export;
	struct scalepool_migrate migrate;
};

/**
 * struct sp_ioctl_op - one command, at index (cmd nr - SCALEPOOL_CMD_BASE)
 * @size: sizeof its struct in this kernel
 * @min_size: size of its struct as first released
 * @write: changes what the file holds: only on a file opened for writing
 * @in_only: the struct has no output fields and is not written back, so
 *           that a command that did its work never reports a failure
 *           to write it (FREE in read-only memory freed, then said EFAULT)
 * @execute: the handler; 0 to write the struct back, or a negative errno
 * @finish: optional; called after a successful @execute with 0 when the
 *          struct was written back, -EFAULT when it could not be, and
 *          returns the ioctl's result: commits or undoes what @execute
 *          made, so that user space never loses an object it was not told
 */
struct sp_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	bool write;
	bool in_only;
	int (*execute)(struct sp_ucmd *ucmd);
	int (*finish)(struct sp_ucmd *ucmd, int ret);
};

static int sp_query(struct sp_ucmd *ucmd)
{
	struct scalepool_query *query = ucmd->cmd;

	if (query->flags)
		return -EOPNOTSUPP;

	query->abi_version = SCALEPOOL_ABI_VERSION;
	query->nr_members = sp_members_count();
	query->caps = SCALEPOOL_CAP_NODE_MEMBERS | SCALEPOOL_CAP_ALLOC |
		      SCALEPOOL_CAP_EXPORT | SCALEPOOL_CAP_MIGRATE;
	/* Without memory hotplug there is nothing to follow. */
	if (IS_ENABLED(CONFIG_MEMORY_HOTPLUG))
		query->caps |= SCALEPOOL_CAP_MEMORY_HOTPLUG;
	/* PMD mappings need THP in the kernel (not necessarily enabled). */
	if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		query->caps |= SCALEPOOL_CAP_HUGE_MAPPINGS;
	query->caps |= SCALEPOOL_CAP_MEASURED;
	query->caps |= SCALEPOOL_CAP_BAR_MEMBERS | SCALEPOOL_CAP_PCI_INITIATOR;
	/* Debian's stock kernels lack P2PDMA: no p2pmem members there. */
	if (IS_ENABLED(CONFIG_PCI_P2PDMA))
		query->caps |= SCALEPOOL_CAP_P2PMEM_MEMBERS;
	return 0;
}

#define SP_ALLOC_FLAGS	(SCALEPOOL_ALLOC_POPULATE | SCALEPOOL_ALLOC_NO_HUGE | \
			 SCALEPOOL_ALLOC_PCI_INITIATOR)

/**
 * sp_alloc_check() - the scalar fields of ALLOC, in the order the header
 * lists them
 * @cmd: the kernel copy of the user's struct
 * @req: out: the request, with the length rounded up to pages and the
 *       defaults of granularity and initiator filled in
 *
 * Return: 0, -EOPNOTSUPP for an unknown flag, -EOVERFLOW for a length
 * past SCALEPOOL_MAX_ALLOC_SIZE, -EINVAL for any other field out of its
 * rules.
 */
VISIBLE_IF_KUNIT int sp_alloc_check(const struct scalepool_alloc *cmd,
				    struct sp_alloc_req *req)
{
	bool interleave = cmd->policy == SCALEPOOL_POLICY_INTERLEAVE;
	u64 length;

	if (cmd->flags & ~SP_ALLOC_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->flags & SCALEPOOL_ALLOC_PCI_INITIATOR) {
		if (cmd->policy != SCALEPOOL_POLICY_NEAREST ||
		    cmd->initiator != SCALEPOOL_INITIATOR_LOCAL ||
		    cmd->initiator_pci_domain > SCALEPOOL_PCI_DOMAIN_MAX ||
		    cmd->initiator_pci_bdf > 0xffff)
			return -EINVAL;
	} else if (cmd->initiator_pci_domain || cmd->initiator_pci_bdf) {
		return -EINVAL;
	}
	if (!cmd->length)
		return -EINVAL;
	if (cmd->length > SCALEPOOL_MAX_ALLOC_SIZE ||
	    check_add_overflow(cmd->length, (u64)PAGE_SIZE - 1, &length))
		return -EOVERFLOW;
	if (cmd->policy > SCALEPOOL_POLICY_TIERED)
		return -EINVAL;
	if (cmd->nr_members > SCALEPOOL_MAX_MEMBERS)
		return -EINVAL;
	if (!cmd->nr_members && (cmd->policy == SCALEPOOL_POLICY_BIND ||
				 cmd->policy == SCALEPOOL_POLICY_PREFERRED ||
				 interleave))
		return -EINVAL;
	if (!interleave && (cmd->weights_ptr || cmd->granularity))
		return -EINVAL;
	if (cmd->granularity && (!PAGE_ALIGNED(cmd->granularity) ||
				 cmd->granularity > SCALEPOOL_MAX_GRANULARITY))
		return -EINVAL;
	if (cmd->initiator != SCALEPOOL_INITIATOR_LOCAL &&
	    (cmd->initiator < 0 || (unsigned int)cmd->initiator >= nr_node_ids ||
	     !node_state(cmd->initiator, N_CPU)))
		return -EINVAL;

	req->length = length & PAGE_MASK;
	req->policy = cmd->policy;
	req->flags = cmd->flags;
	req->nr_members = cmd->nr_members;
	req->granularity = cmd->granularity ?: PAGE_SIZE;
	req->initiator = cmd->initiator == SCALEPOOL_INITIATOR_LOCAL ?
			 numa_node_id() : cmd->initiator;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(sp_alloc_check);

/*
 * SCALEPOOL_ALLOC_PCI_INITIATOR: the device, with a reference, and its
 * NUMA node as the initiator node (the caller's node, already in
 * @req->initiator, when firmware gives the device none).
 */
static int sp_alloc_pci_initiator(const struct scalepool_alloc *cmd,
				  struct sp_alloc_req *req)
{
	u32 bdf = cmd->initiator_pci_bdf;
	int nid;

	if (!(cmd->flags & SCALEPOOL_ALLOC_PCI_INITIATOR))
		return 0;
	/* The domain is a full int: VMD's are above 0xffff. */
	req->initiator_pci =
		pci_get_domain_bus_and_slot((int)cmd->initiator_pci_domain,
					    bdf >> 8, bdf & 0xff);
	if (!req->initiator_pci)
		return -ENODEV;
	nid = dev_to_node(&req->initiator_pci->dev);
	if (nid != NUMA_NO_NODE)
		req->initiator = nid;
	return 0;
}

/**
 * sp_ids_unique() - does no member id repeat?
 * @ids: member ids
 * @nr: entries in @ids
 *
 * Return: true when every id differs from the others.
 */
VISIBLE_IF_KUNIT bool sp_ids_unique(const u32 *ids, unsigned int nr)
{
	unsigned int i, j;

	for (i = 0; i < nr; i++)
		for (j = 0; j < i; j++)
			if (ids[i] == ids[j])
				return false;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(sp_ids_unique);

/**
 * sp_weights_valid() - is every INTERLEAVE weight from 1 to the maximum?
 * @weights: the weights the caller gave
 * @nr: entries in @weights
 *
 * A weight of 0 would give a member no chunk at all (and wrap the
 * dealing's count, sp_deal_next()).
 *
 * Return: true when every weight is 1 to SCALEPOOL_MAX_WEIGHT.
 */
VISIBLE_IF_KUNIT bool sp_weights_valid(const u32 *weights, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!weights[i] || weights[i] > SCALEPOOL_MAX_WEIGHT)
			return false;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(sp_weights_valid);

/* The member ids and weights of ALLOC: readable, no duplicates, in range. */
static int sp_alloc_copy_arrays(const struct scalepool_alloc *cmd,
				struct sp_alloc_req *req)
{
	size_t bytes = array_size(req->nr_members, sizeof(u32));
	unsigned int i;

	if (copy_from_user(req->ids, u64_to_user_ptr(cmd->members_ptr), bytes))
		return -EFAULT;
	if (!sp_ids_unique(req->ids, req->nr_members))
		return -EINVAL;

	if (!cmd->weights_ptr) {
		for (i = 0; i < req->nr_members; i++)
			req->weights[i] = 1;
		req->default_weights = true;
		return 0;
	}
	if (copy_from_user(req->weights, u64_to_user_ptr(cmd->weights_ptr),
			   bytes))
		return -EFAULT;
	return sp_weights_valid(req->weights, req->nr_members) ? 0 : -EINVAL;
}

static int sp_ioctl_alloc(struct sp_ucmd *ucmd)
{
	struct scalepool_alloc *cmd = ucmd->cmd;
	struct sp_alloc_req *req;
	struct sp_alloc *a;
	int ret;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	ret = sp_alloc_check(cmd, req);
	if (ret)
		goto out_free;
	ret = sp_alloc_copy_arrays(cmd, req);
	if (ret)
		goto out_free;
	ret = sp_alloc_pci_initiator(cmd, req);
	if (ret)
		goto out_free;
	ret = sp_file_charge(ucmd->sf, req->length);
	if (ret)
		goto out_free;

	a = sp_alloc_create(req);
	if (IS_ERR(a)) {
		ret = PTR_ERR(a);
		goto out_uncharge;
	}
	ret = sp_file_reserve(ucmd->sf, a);
	if (ret) {
		sp_alloc_put(a);
		goto out_uncharge;
	}

	ucmd->alloc = a;
	cmd->handle = a->handle;
	cmd->offset = (u64)a->pgoff << PAGE_SHIFT;
	goto out_free;

out_uncharge:
	sp_file_uncharge(ucmd->sf, req->length);
out_free:
	pci_dev_put(req->initiator_pci);
	kfree(req);
	return ret;
}

/* The handle names the allocation only once user space has been told it. */
static int sp_ioctl_alloc_finish(struct sp_ucmd *ucmd, int ret)
{
	if (!ret)
		ret = sp_file_publish(ucmd->sf, ucmd->alloc);
	if (!ret)
		sp_alloc_trace(ucmd->alloc);
	if (ret) {
		sp_file_unreserve(ucmd->sf, ucmd->alloc);
		sp_file_uncharge(ucmd->sf, ucmd->alloc->length);
		sp_alloc_put(ucmd->alloc);
	}
	return ret;
}

static int sp_ioctl_free(struct sp_ucmd *ucmd)
{
	struct scalepool_free *cmd = ucmd->cmd;
	struct sp_alloc *a;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	a = sp_file_remove(ucmd->sf, cmd->handle);
	if (!a)
		return -ENOENT;
	sp_file_uncharge(ucmd->sf, a->length);
	sp_alloc_put(a);
	return 0;
}

/*
 * One placement per part, in member id order, as far as there is room.
 * The parts are copied first: a move may change them (move.c), and
 * copy_to_user() may fault on the allocation's own pages.
 */
static int sp_info_placements(struct sp_alloc *a, struct scalepool_info *cmd)
{
	struct scalepool_placement __user *up;
	struct scalepool_placement p;
	struct sp_alloc_part *parts;
	unsigned int i, nr, room;
	int ret = 0;

	ret = sp_alloc_info_parts(a, &parts, &nr);
	if (ret)
		return ret;
	room = min(cmd->nr_placements, nr);
	up = u64_to_user_ptr(cmd->placements_ptr);
	for (i = 0; i < room; i++) {
		memset(&p, 0, sizeof(p));
		p.member = parts[i].m->id;
		p.node = parts[i].m->nid;
		p.bytes = parts[i].bytes;
		p.huge_bytes = parts[i].huge_bytes;
		if (copy_to_user(&up[i], &p, sizeof(p))) {
			ret = -EFAULT;
			break;
		}
	}
	kfree(parts);
	cmd->nr_placements = nr;
	return ret;
}

static int sp_ioctl_info(struct sp_ucmd *ucmd)
{
	struct scalepool_info *cmd = ucmd->cmd;
	struct sp_alloc *a;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	a = sp_file_get(ucmd->sf, cmd->handle);
	if (!a)
		return -ENOENT;

	ret = sp_info_placements(a, cmd);
	if (!ret) {
		/* MIGRATE changes them under @move_lock. */
		cmd->policy = READ_ONCE(a->policy);
		cmd->length = a->length;
		cmd->offset = (u64)a->pgoff << PAGE_SHIFT;
		cmd->alloc_flags = a->flags;
		cmd->basis = READ_ONCE(a->basis);
		cmd->state = sp_alloc_revoked(a) ?
			     SCALEPOOL_INFO_STATE_REVOKED : 0;
	}
	sp_alloc_put(a);
	return ret;
}

#define SP_EXPORT_FLAGS	(SCALEPOOL_EXPORT_CLOEXEC | SCALEPOOL_EXPORT_RDONLY)

/*
 * A read-only fd makes read-only dma-bufs: what a process may not write
 * through /dev/scalepool it may not write through a dma-buf either.
 */
static int sp_ioctl_export(struct sp_ucmd *ucmd)
{
	struct scalepool_export *cmd = ucmd->cmd;
	bool rdonly = (cmd->flags & SCALEPOOL_EXPORT_RDONLY) ||
		      !(ucmd->f_mode & FMODE_WRITE);
	struct sp_alloc *a;
	int fd;

	if (cmd->flags & ~SP_EXPORT_FLAGS)
		return -EOPNOTSUPP;
	a = sp_file_get(ucmd->sf, cmd->handle);
	if (!a)
		return -ENOENT;
	fd = sp_dmabuf_export(a, cmd->flags, rdonly, &ucmd->dmabuf);
	sp_alloc_put(a);
	if (fd < 0)
		return fd;
	cmd->fd = fd;
	return 0;
}

/* The fd exists only once user space has been told its number. */
static int sp_ioctl_export_finish(struct sp_ucmd *ucmd, int ret)
{
	struct scalepool_export *cmd = ucmd->cmd;

	if (ret)
		sp_dmabuf_abort(ucmd->dmabuf, cmd->fd);
	else
		sp_dmabuf_install(ucmd->dmabuf, cmd->fd);
	return ret;
}

/*
 * The fields MIGRATE shares with ALLOC, as an ALLOC of @length bytes
 * (the allocation's, already valid), so that one set of checks rules
 * both.  MIGRATE has no flag for a PCI initiator.
 */
static void sp_migrate_as_alloc(const struct scalepool_migrate *cmd,
				u64 length, struct scalepool_alloc *ac)
{
	*ac = (struct scalepool_alloc){
		.size = sizeof(*ac),
		.length = length,
		.policy = cmd->policy,
		.nr_members = cmd->nr_members,
		.initiator = cmd->initiator,
		.members_ptr = cmd->members_ptr,
		.weights_ptr = cmd->weights_ptr,
		.granularity = cmd->granularity,
	};
}

/**
 * sp_migrate_check() - the scalar fields of MIGRATE
 * @cmd: the kernel copy of the user's struct
 * @length: the length of the allocation it names
 * @req: out: the new policy as an ALLOC request of @length bytes
 *
 * Flags, then the range, then the policy's fields through
 * sp_alloc_check(), as ALLOC's.
 *
 * Return: 0, -EOPNOTSUPP for a flag, -EINVAL for a range that is not
 * page aligned or not inside the allocation, or sp_alloc_check()'s.
 */
VISIBLE_IF_KUNIT int sp_migrate_check(const struct scalepool_migrate *cmd,
				      u64 length, struct sp_alloc_req *req)
{
	struct scalepool_alloc ac;
	u64 end;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (!PAGE_ALIGNED(cmd->start) || !PAGE_ALIGNED(cmd->length) ||
	    cmd->start >= length ||
	    check_add_overflow(cmd->start, cmd->length, &end) || end > length)
		return -EINVAL;
	sp_migrate_as_alloc(cmd, length, &ac);
	return sp_alloc_check(&ac, req);
}
EXPORT_SYMBOL_IF_KUNIT(sp_migrate_check);

static int sp_ioctl_migrate(struct sp_ucmd *ucmd)
{
	struct scalepool_migrate *cmd = ucmd->cmd;
	struct sp_alloc_req *req;
	struct scalepool_alloc ac;
	struct sp_alloc *a;
	u64 end;
	int ret;

	a = sp_file_get(ucmd->sf, cmd->handle);
	if (!a)
		return -ENOENT;
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req) {
		ret = -ENOMEM;
		goto out_put;
	}
	ret = sp_migrate_check(cmd, a->length, req);
	if (ret)
		goto out_free;
	sp_migrate_as_alloc(cmd, a->length, &ac);
	ret = sp_alloc_copy_arrays(&ac, req);
	if (ret)
		goto out_free;
	/* The pages moved keep the allocation's page size rule. */
	req->flags = a->flags & SCALEPOOL_ALLOC_NO_HUGE;
	end = cmd->length ? cmd->start + cmd->length : a->length;
	ret = sp_alloc_migrate(a, req, cmd->start >> PAGE_SHIFT,
			       end >> PAGE_SHIFT, &cmd->moved);
out_free:
	kfree(req);
out_put:
	sp_alloc_put(a);
	return ret;
}

/*
 * @_last is the last field of the struct as released with ABI version 2:
 * older programs may pass a struct that ends there, never a shorter one.
 */
#define SP_IOCTL_OP_FULL(_nr, _fn, _finish, _struct, _last, _write, _in)\
	[(_nr) - SCALEPOOL_CMD_BASE] = {				\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union sp_ucmd_buffer) <\
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.write = _write,					\
		.in_only = _in,						\
		.execute = _fn,						\
		.finish = _finish,					\
	}
#define SP_IOCTL_OP_FINISH(_nr, _fn, _finish, _struct, _last)		\
	SP_IOCTL_OP_FULL(_nr, _fn, _finish, _struct, _last, false, false)
#define SP_IOCTL_OP(_nr, _fn, _struct, _last)				\
	SP_IOCTL_OP_FINISH(_nr, _fn, NULL, _struct, _last)

static const struct sp_ioctl_op sp_ioctl_ops[] = {
	SP_IOCTL_OP(SCALEPOOL_CMD_QUERY, sp_query, struct scalepool_query,
		    caps),
	SP_IOCTL_OP_FULL(SCALEPOOL_CMD_ALLOC, sp_ioctl_alloc,
			 sp_ioctl_alloc_finish, struct scalepool_alloc, offset,
			 true, false),
	SP_IOCTL_OP_FULL(SCALEPOOL_CMD_FREE, sp_ioctl_free, NULL,
			 struct scalepool_free, __reserved, true, true),
	SP_IOCTL_OP(SCALEPOOL_CMD_INFO, sp_ioctl_info, struct scalepool_info,
		    state),
	SP_IOCTL_OP_FINISH(SCALEPOOL_CMD_EXPORT, sp_ioctl_export,
			   sp_ioctl_export_finish, struct scalepool_export, fd),
	SP_IOCTL_OP_FULL(SCALEPOOL_CMD_MIGRATE, sp_ioctl_migrate, NULL,
			 struct scalepool_migrate, moved, true, false),
};

/**
 * sp_ioctl_lookup() - the table entry of an ioctl command
 * @cmd: the command number user space passed
 *
 * Return: the entry, or NULL for a number that is not a command of ours.
 */
VISIBLE_IF_KUNIT const struct sp_ioctl_op *sp_ioctl_lookup(unsigned int cmd)
{
	const struct sp_ioctl_op *op;
	unsigned int idx;

	idx = _IOC_NR(cmd);
	/* Commands are plain _IO(): no direction or size bits, and our type. */
	if (cmd != _IO(SCALEPOOL_TYPE, idx))
		return NULL;
	if (idx < SCALEPOOL_CMD_BASE ||
	    idx >= SCALEPOOL_CMD_BASE + ARRAY_SIZE(sp_ioctl_ops))
		return NULL;
	/* The index comes from user space: no speculation past the table. */
	idx = array_index_nospec(idx - SCALEPOOL_CMD_BASE,
				 ARRAY_SIZE(sp_ioctl_ops));
	op = &sp_ioctl_ops[idx];
	/* A hole in the table: a number not (or no longer) in use. */
	if (!op->execute)
		return NULL;
	return op;
}
EXPORT_SYMBOL_IF_KUNIT(sp_ioctl_lookup);

/**
 * sp_ioctl() - unlocked_ioctl of /dev/scalepool
 * @filp: the file, whose private_data is its struct sp_file
 * @cmd: SCALEPOOL_* command
 * @arg: user address of the command's struct
 *
 * Return: 0, or -ENOTTY for an unknown command, -EBADF for a command that
 * changes what the file holds (ALLOC, FREE, MIGRATE) on a file not opened for
 * writing, -EFAULT when the struct cannot be read or written, -EINVAL
 * (written back only by commands with output fields), -EINVAL
 * when it is shorter than the first release of it, -E2BIG when it is
 * longer than this kernel knows and the extra bytes are not zero, or the
 * handler's error.
 */
long sp_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	const struct sp_ioctl_op *op;
	union sp_ucmd_buffer buf;
	struct sp_ucmd ucmd = {
		.sf = filp->private_data,
		.f_mode = filp->f_mode,
		.ubuf = (void __user *)arg,
		.cmd = &buf,
	};
	int ret;

	op = sp_ioctl_lookup(cmd);
	if (!op)
		return -ENOTTY;
	/* As write(2) on a file opened O_RDONLY: the fd does not allow it. */
	if (op->write && !(filp->f_mode & FMODE_WRITE))
		return -EBADF;

	if (get_user(ucmd.user_size, (u32 __user *)ucmd.ubuf))
		return -EFAULT;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;

	/* Handlers see zeroes past what user space passed, never stack. */
	memset(&buf, 0, sizeof(buf));
	ret = copy_struct_from_user(&buf, op->size, ucmd.ubuf, ucmd.user_size);
	if (ret)
		return ret;

	ret = op->execute(&ucmd);
	if (ret)
		return ret;

	if (!op->in_only &&
	    copy_to_user(ucmd.ubuf, &buf, min(ucmd.user_size, op->size)))
		ret = -EFAULT;
	if (op->finish)
		ret = op->finish(&ucmd, ret);
	return ret;
}
