#define _GNU_SOURCE
#include <sched.h>
#include <seccomp.h>

/* unshare(2) of the network namespace, for the calling thread only: Swift's
 * Glibc module does not export unshare (a _GNU_SOURCE declaration). */
static inline int proctor_unshare_network(void) { return unshare(CLONE_NEWNET); }
