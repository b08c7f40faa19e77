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
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

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

void confine_and_exec(const struct config *cfg, const int *cgroup_fds, int in_fd, int out_fd, int err_fd,
                      int error_pipe) {
    /* Into the run's cgroups first, so everything the program does from here
     * is charged there and limited; then a cgroup namespace rooted at them. */
    for (int i = 0; i < cfg->ncgroups; i++) {
        if (write(cgroup_fds[i], "0", 1) != 1) fail(error_pipe, cfg->cgroups[i]);
        close(cgroup_fds[i]);
    }
    if (unshare(CLONE_NEWCGROUP) < 0) fail(error_pipe, "cgroup namespace");
    /* The program is the first the OOM killer takes, on any kernel: raising
     * the score is always allowed, and it is checked, not assumed. */
    if (write_file("/proc/self/oom_score_adj", "1000") < 0) fail(error_pipe, "oom_score_adj");

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
    /* (In a user namespace setgroups is refused, by design: the caller's own
     * supplementary groups, unmapped, stay with it.) */
    if (!cfg->userns && setgroups(0, NULL) < 0) fail(error_pipe, "setgroups");
    if (setresgid(cfg->gid, cfg->gid, cfg->gid) < 0) fail(error_pipe, "setresgid");
    if (setresuid(cfg->uid, cfg->uid, cfg->uid) < 0) fail(error_pipe, "setresuid");
    /* Leaving root empties the permitted and effective sets, not the
     * inheritable one: clear all three explicitly. */
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];
    memset(none, 0, sizeof none);
    if (syscall(SYS_capset, &header, none) < 0) fail(error_pipe, "capset");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(error_pipe, "no_new_privs");
    struct sock_fprog program = { (unsigned short)(cfg->seccomp_len / sizeof(struct sock_filter)),
                                  (struct sock_filter *)cfg->seccomp };
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) < 0) fail(error_pipe, "seccomp");
    exec_program(cfg, error_pipe);
    _exit(127);
}
