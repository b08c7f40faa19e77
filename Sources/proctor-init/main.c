/* The host-side half of proctor-init: reads the configuration, starts the
 * sandbox's pid 1 in a new pid namespace, and copies the program's stdout and
 * stderr to fds 1 and 2, cutting each at the output limit. */
#define _GNU_SOURCE
#include "proctor_init.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct stream {
    int from, to;
    const char *name;
    unsigned long long written;
    int over;
};

static void write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* the reader went away: drop, keep draining */
        p += w;
        n -= (size_t)w;
    }
}

/* Returns 0 at end of stream. */
static int pump(struct stream *s, unsigned long long limit) {
    char buf[65536];
    ssize_t n = read(s->from, buf, sizeof buf);
    if (n < 0) return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n == 0) return 0;
    if (!s->over) {
        size_t keep = (size_t)n;
        if (s->written + keep > limit) {
            keep = (size_t)(limit - s->written);
            s->over = 1;
            status_send("output", s->name);
        }
        write_all(s->to, buf, keep);
        s->written += keep;
    }
    return 1;
}

/* Rootless mode: a user namespace in which only the caller's own uid and gid
 * exist, mapped to themselves. Inside it this process holds the capabilities
 * that building the sandbox needs (namespaces, mounts), over nothing outside;
 * the program, exec'd under a non-zero uid, keeps none of them. */
static int enter_user_namespace(const struct config *cfg) {
    char map[64];
    if (unshare(CLONE_NEWUSER) < 0) return -1;
    /* setgroups must be refused before an unprivileged gid_map may be written. */
    if (write_file("/proc/self/setgroups", "deny") < 0) return -1;
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)cfg->outer_uid, (unsigned)cfg->outer_uid);
    if (write_file("/proc/self/uid_map", map) < 0) return -1;
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)cfg->outer_gid, (unsigned)cfg->outer_gid);
    return write_file("/proc/self/gid_map", map);
}

int main(void) {
    static struct config cfg;
    /* Nothing but our six descriptors may reach the sandbox, whatever the
     * supervisor's process had open when it spawned us. */
    syscall(SYS_close_range, FD_CONTROL + 1, ~0U, 0);
    signal(SIGPIPE, SIG_IGN);
    if (config_read(FD_CONFIG, &cfg) < 0) {
        status_sendf("error", "reading the sandbox configuration: %s", strerror(errno));
        return 1;
    }
    close(FD_CONFIG);
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
        status_sendf("error", "pipe: %s", strerror(errno));
        return 1;
    }
    if (cfg.userns && enter_user_namespace(&cfg) < 0) {
        int saved = errno;
        status_sendf("error", "creating the user namespace (rootless mode): %s%s", strerror(saved),
                     saved == EPERM || saved == ENOSPC || saved == EACCES
                         ? " (this machine may forbid unprivileged user namespaces: see sysctl user.max_user_namespaces, "
                           "kernel.unprivileged_userns_clone or kernel.apparmor_restrict_unprivileged_userns)"
                         : "");
        return 1;
    }
    if (unshare(CLONE_NEWPID) < 0) {
        status_sendf("error", "creating the pid namespace: %s", strerror(errno));
        return 1;
    }
    pid_t init = fork();
    if (init < 0) {
        status_sendf("error", "fork: %s", strerror(errno));
        return 1;
    }
    if (init == 0) {
        close(out[0]);
        close(err[0]);
        init_main(&cfg, out[1], err[1]);
    }
    status_sendf("init", "%d", (int)init);
    close(out[1]);
    close(err[1]);
    close(FD_CONTROL);
    close(0);

    struct stream streams[2] = { { out[0], 1, "stdout", 0, 0 }, { err[0], 2, "stderr", 0, 0 } };
    int open_streams = 2;
    struct pollfd fds[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
    while (open_streams > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !fds[i].revents) continue;
            if (!pump(&streams[i], cfg.output_limit)) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_streams--;
            }
        }
    }
    int status;
    while (waitpid(init, &status, 0) < 0 && errno == EINTR) {}
    if (WIFSIGNALED(status)) status_sendf("initdied", "%d", WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0) status_sendf("initdied", "exit %d", WEXITSTATUS(status));
    return 0;
}
