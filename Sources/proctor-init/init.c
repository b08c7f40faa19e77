/* Pid 1 of the sandbox. Joins the run's cgroups, builds the root, starts the
 * program, reaps every process, and ends the run: on the program's exit or on
 * a kill request (or the supervisor vanishing) it kills every process of the
 * namespace, copies the workspace out and reports how the program ended. */
#define _GNU_SOURCE
#include "proctor_init.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(void) {
    _exit(1);
}

int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A tmpfs with no block or inode left is the likely reason a program failed. */
static void report_full(const char *path, const char *name) {
    struct statvfs vfs;
    if (statvfs(path, &vfs) == 0 && (vfs.f_bavail == 0 || vfs.f_favail == 0)) status_send("disk", name);
}

static void kill_everything(void) {
    /* As pid 1, kill(-1) reaches every other process of the namespace; fork
     * cannot outrun it, and SIGKILL ends stopped processes too. */
    kill(-1, SIGKILL);
    for (;;) {
        pid_t p = waitpid(-1, NULL, __WALL);
        if (p < 0 && errno == EINTR) continue;
        if (p < 0) break;
    }
}

/* Enters the slot's kept network namespace, which the supervisor holds open. */
static int join_slot_network(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int joined = setns(fd, CLONE_NEWNET);
    int saved = errno;
    close(fd);
    errno = saved;
    return joined;
}

void init_main(const struct config *cfg, int out_w, int err_w) {
    /* If the host-side parent dies, so does the whole namespace. */
    /* (Its parent lives outside the namespace, so getppid() reads 0 here;
     * the parent only exits after waiting for us, so there is no race.) */
    prctl(PR_SET_PDEATHSIG, SIGKILL);

    /* Init stays out of the run's cgroups: an OOM inside the run can only
     * choose among the program's processes, never the process that reports
     * on them. The program joins through these descriptors, opened here
     * while the host's cgroup tree is still visible. */
    static int cgroup_fds[16];
    for (int i = 0; i < cfg->ncgroups; i++) {
        cgroup_fds[i] = open(cfg->cgroups[i], O_WRONLY | O_CLOEXEC);
        if (cgroup_fds[i] < 0) {
            status_sendf("error", "opening cgroup %s: %s", cfg->cgroups[i], strerror(errno));
            die();
        }
    }
    /* Init itself is the last thing the machine's OOM killer should pick (the
     * kernel may refuse); the program sets its own score to 1000 before exec. */
    write_file("/proc/self/oom_score_adj", "-1000");
    /* The network namespace first, while the host's /proc is still ours. */
    if (cfg->netns && join_slot_network(cfg->netns) < 0) {
        status_sendf("error", "joining the slot's network namespace %s: %s", cfg->netns, strerror(errno));
        die();
    }
    if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | (cfg->netns ? 0 : CLONE_NEWNET)) < 0) {
        status_sendf("error", "creating namespaces: %s", strerror(errno));
        die();
    }
    int host_ws = -1;
    if (cfg->workspace) {
        host_ws = open(cfg->workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (host_ws < 0) {
            status_sendf("error", "opening workspace %s: %s", cfg->workspace, strerror(errno));
            die();
        }
    }
    if (rootfs_build(cfg) < 0) die();
    if (host_ws >= 0) {
        char path[4200];
        snprintf(path, sizeof path, "%s/workspace", cfg->root);
        int ws = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct tree_copy seed = { .uid = cfg->uid, .gid = cfg->gid };
        if (ws < 0 || tree_copy(host_ws, ws, &seed) < 0) {
            status_sendf("error", "seeding the workspace: %s%s", strerror(errno),
                         errno == ENOSPC ? " (the workspace is larger than --disk)" : "");
            die();
        }
        close(ws);
    }
    if (rootfs_enter(cfg) < 0) die();
    if (sethostname(cfg->hostname, strlen(cfg->hostname)) < 0) {
        status_sendf("error", "sethostname: %s", strerror(errno));
        die();
    }
    if (cfg->loopback && loopback_up() < 0) {
        status_sendf("error", "bringing up loopback: %s", strerror(errno));
        die();
    }

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    int errpipe[2];
    if (sfd < 0 || pipe2(errpipe, O_CLOEXEC) < 0) {
        status_sendf("error", "init setup: %s", strerror(errno));
        die();
    }

    /* The program may reopen its output through /dev/stdout (/proc/self/fd/1):
     * that checks the pipe's owner, so the pipes become the program's. */
    if (fchown(out_w, cfg->uid, cfg->gid) < 0 || fchown(err_w, cfg->uid, cfg->gid) < 0) {
        status_sendf("error", "handing the output pipes to the sandbox user: %s", strerror(errno));
        die();
    }
    pid_t child = fork();
    if (child < 0) {
        status_sendf("error", "fork: %s", strerror(errno));
        die();
    }
    if (child == 0) {
        close(errpipe[0]);
        confine_and_exec(cfg, cgroup_fds, 0, out_w, err_w, errpipe[1]);
    }
    close(errpipe[1]);
    close(out_w);
    close(err_w);
    close(0);

    char why[400];
    ssize_t n;
    while ((n = read(errpipe[0], why, sizeof why - 1)) < 0 && errno == EINTR) {}
    close(errpipe[0]);
    if (n > 0) {
        why[n] = '\0';
        status_send("execfail", why);
    } else {
        status_send("started", NULL);
    }
    long long started_ns = monotonic_ns();

    int status = 0, killed = 0, done = 0;
    struct pollfd fds[2] = { { sfd, POLLIN, 0 }, { FD_CONTROL, POLLIN, 0 } };
    while (!done) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            killed = 1;
            break;
        }
        if (fds[1].revents) {
            /* 'k' or EOF (the supervisor is gone): end the run now. */
            killed = 1;
            break;
        }
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) > 0) {}
        for (;;) {
            int st;
            pid_t p = waitpid(-1, &st, WNOHANG | __WALL);
            if (p <= 0) break;
            if (p == child) {
                status = st;
                done = 1;
            }
        }
    }
    status_send("ended", NULL);
    kill_everything();
    /* Every process of the run has been reaped, here or by a parent reaped
     * here: what they used, for a supervisor with no cgroup to read (rootless). */
    struct rusage used;
    if (getrusage(RUSAGE_CHILDREN, &used) == 0) {
        long long cpu_ns = ((long long)used.ru_utime.tv_sec + used.ru_stime.tv_sec) * 1000000000LL +
                           ((long long)used.ru_utime.tv_usec + used.ru_stime.tv_usec) * 1000LL;
        status_sendf("usage", "%lld %ld", cpu_ns, used.ru_maxrss);
    }
    report_full("/tmp", "tmp");
    report_full("/workspace", "workspace");
    report_full("/dev/shm", "shm");
    /* And the spec's scratch directories: every other tmpfs but /dev. */
    for (int i = 0; i < cfg->nops; i++) {
        const struct mount_op *op = &cfg->ops[i];
        if (op->kind == OP_TMPFS && strcmp(op->a, "/dev") && strcmp(op->a, "/tmp") && strcmp(op->a, "/workspace") &&
            strcmp(op->a, "/dev/shm"))
            report_full(op->a, op->a);
    }
    unsigned skipped = 0;
    if (host_ws >= 0) {
        /* What comes back is bounded, and must be done by the supervisor's
         * deadline (the wall limit and a grace); a copy stopped at a bound
         * leaves nothing. */
        struct tree_copy back = {
            .max_bytes = cfg->copy_bytes, .max_entries = cfg->copy_entries, .max_depth = cfg->copy_depth,
            .deadline_ns = cfg->copy_ms ? started_ns + (long long)cfg->copy_ms * 1000000LL : 0,
            .uid = cfg->owner_uid, .gid = cfg->owner_gid, .normalize = 1,
        };
        int ws = open("/workspace", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ws < 0) {
            status_sendf("error", "opening /workspace to copy it back: %s", strerror(errno));
        } else if (tree_clear(host_ws, 0) < 0) {
            status_sendf("error", "clearing the host workspace: %s", strerror(errno));
        } else if (tree_copy(ws, host_ws, &back) < 0) {
            int saved = errno;
            tree_clear(host_ws, 0);
            if (back.over)
                status_sendf("copyback", "%s %llu", back.over, back.bytes);
            else
                status_sendf("error", "copying the workspace back: %s", strerror(saved));
        }
        skipped = back.skipped;
    }
    if (skipped) status_sendf("skipped", "%u", skipped);
    if (killed)
        status_send("killed", NULL);
    else if (WIFSIGNALED(status))
        status_sendf("signaled", "%d", WTERMSIG(status));
    else
        status_sendf("exited", "%d", WEXITSTATUS(status));
    _exit(0);
}
