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

#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/nospec.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <linux/scalepool.h>
#include "scalepool.h"

/**
 * struct sp_ucmd - one ioctl call, as the handler sees it
 * @sf: the file the call was made on
 * @ubuf: the user's struct
 * @user_size: its size, as user space declared it
 * @cmd: the kernel copy of the struct, written back after the handler
 */
struct sp_ucmd {
	struct sp_file *sf;
	void __user *ubuf;
	u32 user_size;
	void *cmd;
};

/* Room for the struct of any command. */
union sp_ucmd_buffer {
	struct scalepool_query query;
};

/**
 * struct sp_ioctl_op - one command, at index (cmd nr - SCALEPOOL_CMD_BASE)
 * @size: sizeof its struct in this kernel
 * @min_size: size of its struct as first released
 * @execute: the handler; 0 to write the struct back, or a negative errno
 */
struct sp_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	int (*execute)(struct sp_ucmd *ucmd);
};

static int sp_query(struct sp_ucmd *ucmd)
{
	struct scalepool_query *query = ucmd->cmd;

	if (query->flags)
		return -EOPNOTSUPP;

	query->abi_version = SCALEPOOL_ABI_VERSION;
	query->nr_members = sp_members_count();
	query->caps = SCALEPOOL_CAP_NODE_MEMBERS;
	/* Without memory hotplug there is nothing to follow. */
	if (IS_ENABLED(CONFIG_MEMORY_HOTPLUG))
		query->caps |= SCALEPOOL_CAP_MEMORY_HOTPLUG;
	return 0;
}

/*
 * @_last is the last field of the struct as first released: older
 * programs may pass a struct that ends there, never a shorter one.
 */
#define SP_IOCTL_OP(_nr, _fn, _struct, _last)				\
	[(_nr) - SCALEPOOL_CMD_BASE] = {				\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union sp_ucmd_buffer) <\
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.execute = _fn,						\
	}

static const struct sp_ioctl_op sp_ioctl_ops[] = {
	SP_IOCTL_OP(SCALEPOOL_CMD_QUERY, sp_query, struct scalepool_query,
		    caps),
};

static const struct sp_ioctl_op *sp_ioctl_lookup(unsigned int cmd)
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

/**
 * sp_ioctl() - unlocked_ioctl of /dev/scalepool
 * @filp: the file, whose private_data is its struct sp_file
 * @cmd: SCALEPOOL_* command
 * @arg: user address of the command's struct
 *
 * Return: 0, or -ENOTTY for an unknown command, -EFAULT when the struct
 * cannot be read or written, -EINVAL when it is shorter than the first
 * release of it, -E2BIG when it is longer than this kernel knows and the
 * extra bytes are not zero, or the handler's error.
 */
long sp_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	const struct sp_ioctl_op *op;
	union sp_ucmd_buffer buf;
	struct sp_ucmd ucmd = {
		.sf = filp->private_data,
		.ubuf = (void __user *)arg,
		.cmd = &buf,
	};
	int ret;

	op = sp_ioctl_lookup(cmd);
	if (!op)
		return -ENOTTY;

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

	if (copy_to_user(ucmd.ubuf, &buf, min(ucmd.user_size, op->size)))
		return -EFAULT;
	return 0;
}
