/* The last steps before the user's program: limits, identity, privileges,
 * seccomp, exec. Runs in the forked child of init; a failure is written to the
 * error pipe (close-on-exec, so a successful exec closes it silently). */
#define _GNU_SOURCE
#include "proctor_init.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Namespace flags a sandboxed clone() may never ask for. */
#define NAMESPACE_FLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
                         CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME)

void *seccomp_build(const struct config *cfg) {
    /* Non-native architectures (the i386 ABI on x86-64) are killed by default. */
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return NULL;
    for (int i = 0; i < cfg->ndeny; i++) {
        int nr = seccomp_syscall_resolve_name(cfg->deny[i]);
        if (nr == __NR_SCMP_ERROR) continue;
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) < 0) goto fail;
    }
    /* clone() with any namespace flag fails; clone3 passes flags in memory the
     * filter cannot read, so it answers ENOSYS and libc falls back to clone(). */
    for (unsigned long bit = 1; bit; bit <<= 1) {
        if (!(bit & NAMESPACE_FLAGS)) continue;
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit)) < 0)
            goto fail;
    }
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0) goto fail;

    /* Socket families are an allow-list: AF_UNIX always, AF_INET and AF_INET6
     * only where the network mode gives the run a network. Everything else
     * (AF_VSOCK, AF_NETLINK, AF_PACKET, ...) reaches past the namespaces or
     * into the kernel. Each rule compares the whole 64-bit register, so no
     * high bits can smuggle a family past it. */
    int deny_socket[] = { 0, 3, 4, 5, 6, 7, 8, 9 };
    for (size_t i = 0; i < sizeof deny_socket / sizeof *deny_socket; i++) {
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)deny_socket[i])) < 0)
            goto fail;
    }
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                         SCMP_A0(SCMP_CMP_GE, (scmp_datum_t)AF_INET6 + 1)) < 0)
        goto fail;
    if (!cfg->inet) {
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)AF_INET)) < 0 ||
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)AF_INET6)) < 0)
            goto fail;
    }
    /* socketpair only makes sense for AF_UNIX. */
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socketpair), 1,
                         SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)AF_UNIX)) < 0)
        goto fail;
    /* personality: only the default (0) and the query (0xffffffff); no
     * ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC or other execution domain. A rule
     * holds one comparison per argument, so "neither 0 nor all ones" is
     * spelled bit by bit: some bit i set while bit 31 is clear, or bit 31 set
     * while some bit i is clear; and nothing above 32 bits. */
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
                         SCMP_A0(SCMP_CMP_GT, 0xffffffffULL)) < 0)
        goto fail;
    for (int i = 0; i < 31; i++) {
        scmp_datum_t bit = 1ULL << i, top = 1ULL << 31;
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, bit | top, bit)) < 0 ||
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, bit | top, top)) < 0)
            goto fail;
    }
    return ctx;
fail:
    seccomp_release(ctx);
    return NULL;
}

static void fail(int error_pipe, const char *what) {
    char msg[300];
    int n = snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
    if (n > 0) (void)!write(error_pipe, msg, (size_t)n);
    _exit(127);
}

/* execvpe with our PATH, resolved inside the sandbox. */
static void exec_program(const struct config *cfg, int error_pipe) {
    const char *prog = cfg->argv[0];
    char *const *argv = (char *const *)cfg->argv;
    char *const *envp = (char *const *)cfg->envp;
    if (strchr(prog, '/')) {
        execve(prog, argv, envp);
        fail(error_pipe, prog);
    }
    const char *path = "/usr/local/bin:/usr/bin:/bin";
    for (int i = 0; i < cfg->envc; i++)
        if (!strncmp(cfg->envp[i], "PATH=", 5)) path = cfg->envp[i] + 5;
    int saved = ENOENT;
    char full[4096];
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        if (len > 0 && len + strlen(prog) + 2 < sizeof full) {
            memcpy(full, path, len);
            full[len] = '/';
            strcpy(full + len + 1, prog);
            execve(full, argv, envp);
            if (errno != ENOENT && errno != ENOTDIR) saved = errno;
        }
        path += len;
        if (*path == ':') path++;
    }
    errno = saved;
    fail(error_pipe, prog);
}

/* Writes the whole of text to path (a procfs file); -1 with errno on failure. */
static int write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

void confine_and_exec(const struct config *cfg, const int *cgroup_fds, int in_fd, int out_fd, int err_fd,
                      int error_pipe, void *seccomp_ctx) {
    /* Into the run's cgroups first, so everything the program does from here
     * is charged there and limited; then a cgroup namespace rooted at them. */
    for (int i = 0; i < cfg->ncgroups; i++) {
        if (write(cgroup_fds[i], "0", 1) != 1) fail(error_pipe, cfg->cgroups[i]);
        close(cgroup_fds[i]);
    }
    if (unshare(CLONE_NEWCGROUP) < 0) fail(error_pipe, "cgroup namespace");
    /* The program is the first the OOM killer takes, on any kernel: raising
     * the score is always allowed, and it is checked, not assumed. */
    if (write_text("/proc/self/oom_score_adj", "1000") < 0) fail(error_pipe, "oom_score_adj");

    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);

    if (setsid() < 0) fail(error_pipe, "setsid");
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) fail(error_pipe, "stdio");
    /* Every other descriptor closes at exec; the error pipe must live until then. */
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail(error_pipe, "close_range");

    for (int i = 0; i < cfg->nrlimits; i++) {
        struct rlimit rl = { cfg->rlimits[i].value, cfg->rlimits[i].value };
        if (setrlimit(cfg->rlimits[i].resource, &rl) < 0) fail(error_pipe, "setrlimit");
    }
    if (chdir(cfg->cwd) < 0) fail(error_pipe, cfg->cwd);

    /* No capability can come back: empty the bounding and ambient sets, then
     * leave root for the slot's uid, which clears the rest. */
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) fail(error_pipe, "capbset");
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (setgroups(0, NULL) < 0) fail(error_pipe, "setgroups");
    if (setresgid(cfg->gid, cfg->gid, cfg->gid) < 0) fail(error_pipe, "setresgid");
    if (setresuid(cfg->uid, cfg->uid, cfg->uid) < 0) fail(error_pipe, "setresuid");
    /* Leaving root empties the permitted and effective sets, not the
     * inheritable one: clear all three explicitly. */
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];
    memset(none, 0, sizeof none);
    if (syscall(SYS_capset, &header, none) < 0) fail(error_pipe, "capset");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(error_pipe, "no_new_privs");
    if (seccomp_ctx && seccomp_load((scmp_filter_ctx)seccomp_ctx) < 0) fail(error_pipe, "seccomp");
    exec_program(cfg, error_pipe);
    _exit(127);
}
