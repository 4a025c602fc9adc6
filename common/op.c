/* The kinds of operation and what each one is (see guardfs/op.h). */

#include "guardfs/op.h"

enum {
	CHANGES = 1 << 0, /* changes the folder */
	STORED = 1 << 1,  /* and the store records it */
};

static const struct {
	const char *name;
	unsigned what;
} kinds[GFS_OP_KINDS] = {
	[GFS_OP_LOOKUP] = {"lookup", 0},
	[GFS_OP_OPEN] = {"open", 0},
	[GFS_OP_READLINK] = {"readlink", 0},
	[GFS_OP_CREATE] = {"create", CHANGES | STORED},
	[GFS_OP_MKNOD] = {"mknod", CHANGES | STORED},
	[GFS_OP_MKDIR] = {"mkdir", CHANGES | STORED},
	[GFS_OP_SYMLINK] = {"symlink", CHANGES | STORED},
	[GFS_OP_LINK] = {"link", CHANGES | STORED},
	[GFS_OP_WRITE] = {"write", CHANGES | STORED},
	[GFS_OP_TRUNCATE] = {"truncate", CHANGES | STORED},
	[GFS_OP_CHMOD] = {"chmod", CHANGES | STORED},
	[GFS_OP_SETATTR] = {"setattr", CHANGES},
	[GFS_OP_FALLOCATE] = {"fallocate", CHANGES | STORED},
	[GFS_OP_UNLINK] = {"unlink", CHANGES | STORED},
	[GFS_OP_RMDIR] = {"rmdir", CHANGES | STORED},
	[GFS_OP_RENAME] = {"rename", CHANGES | STORED},
	[GFS_OP_EXCHANGE] = {"exchange", CHANGES | STORED},
	[GFS_OP_SETXATTR] = {"setxattr", CHANGES},
	[GFS_OP_REMOVEXATTR] = {"removexattr", CHANGES},
	[GFS_OP_RESTORE] = {"restore", CHANGES | STORED},
	/* the mount's state, not the folder's */
	[GFS_OP_FREEZE] = {"freeze", 0},
	[GFS_OP_UNFREEZE] = {"unfreeze", 0},
	[GFS_OP_READ] = {"read", 0},
};

static unsigned what(enum gfs_op_kind kind)
{
	return (unsigned)kind < GFS_OP_KINDS ? kinds[kind].what : 0;
}

const char *gfs_op_name(enum gfs_op_kind kind)
{
	if ((unsigned)kind < GFS_OP_KINDS && kinds[kind].name)
		return kinds[kind].name;
	return "unknown";
}

bool gfs_op_changes(enum gfs_op_kind kind)
{
	return what(kind) & CHANGES;
}

bool gfs_op_stored(enum gfs_op_kind kind)
{
	return what(kind) & STORED;
}
