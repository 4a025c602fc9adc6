/* common/op.c: one name per kind of operation, and what each kind is. */
#include <string.h>

#include "check.h"
#include "guardfs/op.h"

int main(void)
{
	int k, j;

	/* Every kind has its own name: audit, commits and watch share it. */
	for (k = 0; k < GFS_OP_KINDS; k++) {
		CHECK(strcmp(gfs_op_name(k), "unknown") != 0);
		for (j = 0; j < k; j++)
			CHECK(strcmp(gfs_op_name(k), gfs_op_name(j)) != 0);
		/* the store lists only changes */
		CHECK(!gfs_op_stored(k) || gfs_op_changes(k));
	}
	CHECK_STR(gfs_op_name(GFS_OP_KINDS), "unknown");
	CHECK_STR(gfs_op_name((enum gfs_op_kind) - 1), "unknown");
	/* Names that scripts and stores written before read (Guardfs-Op). */
	CHECK_STR(gfs_op_name(GFS_OP_CHMOD), "chmod");
	CHECK_STR(gfs_op_name(GFS_OP_WRITE), "write");
	CHECK_STR(gfs_op_name(GFS_OP_RESTORE), "restore");
	CHECK(!gfs_op_changes(GFS_OP_LOOKUP) && !gfs_op_changes(GFS_OP_OPEN));
	CHECK(gfs_op_changes(GFS_OP_SETXATTR) &&
	      !gfs_op_stored(GFS_OP_SETXATTR));
	CHECK(gfs_op_stored(GFS_OP_UNLINK) && gfs_op_stored(GFS_OP_RENAME));
	return failures != 0;
}
