#define _GNU_SOURCE
#include <sched.h>
#include <seccomp.h>

/* unshare(2) of the network namespace, for the calling thread only: Swift's
 * Glibc module does not export unshare (a _GNU_SOURCE declaration). */
static inline int proctor_unshare_network(void) { return unshare(CLONE_NEWNET); }

#include <sys/vfs.h>

/* The file system type (statfs f_type) of path, or 0 if it cannot be read:
 * Swift's Glibc module does not export statfs. */
static inline unsigned long proctor_file_system_type(const char *path) {
    struct statfs fs;
    return statfs(path, &fs) == 0 ? (unsigned long)fs.f_type : 0;
}
