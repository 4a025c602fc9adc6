#ifndef GUARDFS_CLI_CONFIG_TRUST_H
#define GUARDFS_CLI_CONFIG_TRUST_H

#include <stdbool.h>
#include <stdint.h>

#include "guardfs/config.h"

/*
 * Whether `guardfs mount` may load a config without asking: a config
 * that changed while the last guarded session of the same root was
 * running may have been written by the agent, and is not trusted
 * silently.
 *
 * Each mount records, in $XDG_STATE_HOME/guardfs/session-<root hash>, the
 * identity of the config it loaded (path, device, inode, size, mtime,
 * ctime, owner, xxh3 and text) and when its session began; the daemon
 * adds when it ended and whether a config changed meanwhile. The rule:
 *
 *  - the same file with the same identity: trusted;
 *  - otherwise, when the last session saw a config change before it
 *    ended, or ended without saying so (killed) and the config's ctime
 *    falls after its start, or its ctime falls inside the session:
 *    refused until the user passes --trust-config (the change is shown);
 *  - otherwise the config changed after the session ended, while the
 *    folder was not guarded: the user's own edit, loaded.
 *
 * The ctime is used because no unprivileged process can set it back.
 */

/*
 * Checks cfg against the record of its root's last session. 0 when it
 * may be loaded; -1 after printing why not and what changed, unless
 * trust is set (then the change is printed and accepted).
 */
int gfs_config_trust_check(const struct gfs_config *cfg, bool trust);

/* Records that a guarded session of cfg's root begins now. 0 or -errno. */
int gfs_config_trust_begin(const struct gfs_config *cfg);

/*
 * Records that the session begun by gfs_config_trust_begin ended now,
 * and whether the config it loaded, or the one the next mount of the
 * root would load, changed meanwhile. Called once the mount is gone.
 */
void gfs_config_trust_end(const struct gfs_config *cfg);

/*
 * When the last recorded session of root began and ended (ended 0: still
 * running, or killed), in ns since the epoch. 0, or -ENOENT when there
 * is no record.
 */
int gfs_config_trust_last_session(const char *root, int64_t *started_ns,
				  int64_t *ended_ns);

#endif
