/*
 * proctor-init: the C half of the Proctor sandbox.
 *
 * The Swift supervisor spawns this program with a fixed set of descriptors:
 *   0 stdin for the sandboxed program     3 the configuration (read to EOF)
 *   1 where its stdout goes               4 the status channel (line messages)
 *   2 where its stderr goes               5 the control channel (EOF or 'k': kill)
 *
 * The host-side parent ("outer") unshares a pid namespace, forks the sandbox's
 * pid 1 ("init") and pumps the program's output into fds 1 and 2 with a cap.
 * Init joins the run's cgroups, builds the root filesystem, forks the program,
 * reaps, and on the program's end or a kill request kills every process of
 * the namespace, copies the workspace back and reports the wait status.
 *
 * The seccomp program arrives compiled (the supervisor builds it once with
 * libseccomp); the child loads it as the last step before execve().
 *
 * Only the code in confine.c runs between fork() and execve() in the child that
 * becomes the user's program. Init is single-threaded, so that child may use
 * libc freely (no lock can be held by another thread at fork).
 */
#ifndef PROCTOR_INIT_H
#define PROCTOR_INIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FD_CONFIG 3
#define FD_STATUS 4
#define FD_CONTROL 5

#define MAX_ITEMS 256

/* One step of the root filesystem plan, executed in order under the new root. */
struct mount_op {
    enum { OP_MKDIR, OP_BIND, OP_TMPFS, OP_SYMLINK, OP_FILE, OP_PROC } kind;
    const char *a;      /* mkdir/tmpfs/proc/file: path; bind: source; symlink: target */
    const char *b;      /* bind: destination; symlink: link path; file: content; tmpfs: "dev" or "nodev" */
    const char *flags;  /* bind: "ro"/"rw" plus ",dev"; tmpfs: its mount options */
    unsigned long mode; /* mkdir, file */
};

struct rlimit_item {
    int resource;
    unsigned long long value;
};

/* The whole configuration, parsed from fd 3. Strings point into one buffer. */
struct config {
    const char *argv[MAX_ITEMS + 1];
    int argc;
    const char *envp[MAX_ITEMS + 1];
    int envc;
    const char *cgroups[16];
    int ncgroups;
    struct mount_op ops[MAX_ITEMS];
    int nops;
    struct rlimit_item rlimits[16];
    int nrlimits;
    unsigned char *seccomp;       /* raw BPF (struct sock_filter[]), decoded from hex */
    size_t seccomp_len;           /* in bytes, a multiple of 8 */
    const char *root;       /* host directory the new root tmpfs is mounted on */
    const char *workspace;  /* host directory seeded into /workspace, or NULL */
    const char *hostname;
    const char *cwd;
    uid_t uid;
    gid_t gid;
    int loopback;
    const char *netns;      /* a path to the slot's kept network namespace, or NULL: a fresh one */
    unsigned long long output_limit;
    uid_t owner_uid;              /* who owns what the workspace copy-back writes */
    gid_t owner_gid;
    unsigned long long copy_ms;   /* copy-back must end this long after the program started; 0: no deadline */
    unsigned long long copy_bytes;   /* copy-back bounds; 0 means none */
    unsigned copy_entries;
    int copy_depth;
    int userns;                   /* rootless: a user namespace mapping only outer_uid/outer_gid, to themselves */
    uid_t outer_uid;
    gid_t outer_gid;
};

int config_read(int fd, struct config *cfg);

/* init.c: writes the whole of text to path (a procfs or cgroup file); -1 with errno. */
int write_file(const char *path, const char *text);

/* status.c: one line per message on FD_STATUS; writes are atomic (< PIPE_BUF). */
void status_send(const char *kind, const char *detail);
void status_sendf(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* rootfs.c */
int rootfs_build(const struct config *cfg);
int rootfs_enter(const struct config *cfg);
int loopback_up(void);

/* workspace.c: copies regular files and directories only. tree_copy returns
 * -1 with errno on failure, or -1 with `over` naming the bound that stopped it
 * ("bytes", "entries", "depth", "time", or "hostdisk" for a full host disk). */
struct seen_link;
struct tree_copy {
    unsigned long long max_bytes; /* 0: no bound */
    unsigned max_entries;         /* 0: no bound */
    int max_depth;                /* 0: the built-in 64, past which it is an error */
    long long deadline_ns;        /* CLOCK_MONOTONIC; 0: none */
    uid_t uid;
    gid_t gid;
    int normalize;                /* modes 0644/0755 and depth as a bound (copy-back) */
    unsigned long long bytes;     /* progress */
    unsigned entries;
    unsigned skipped;
    const char *over;
    int dst_root;                 /* internal: hard links already copied */
    struct seen_link *links;
    size_t nlinks, caplinks;
};
int tree_copy(int src_dir, int dst_dir, struct tree_copy *tc);
int tree_clear(int dir, int depth);
long long monotonic_ns(void);

/* confine.c: runs in the forked child, never returns. */
void confine_and_exec(const struct config *cfg, const int *cgroup_fds, int in_fd, int out_fd, int err_fd,
                      int error_pipe) __attribute__((noreturn));

/* init.c: pid 1 of the sandbox, never returns. */
void init_main(const struct config *cfg, int out_w, int err_w) __attribute__((noreturn));

#endif
