/* Builds the sandbox's root filesystem in a private mount namespace: a small
 * tmpfs as "/", read-only binds of what the plan allows, fresh /proc, private
 * tmpfs mounts; then pivot_root into it and drop the host's tree. */
#define _GNU_SOURCE
#include "proctor_init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Joins root and an absolute sandbox path; refuses anything with "..". */
static int under_root(const struct config *cfg, const char *path, char *out, size_t size) {
    if (path[0] != '/' || strstr(path, "/..") || strstr(path, "../")) {
        errno = EINVAL;
        return -1;
    }
    int n = snprintf(out, size, "%s%s", cfg->root, path);
    if (n < 0 || (size_t)n >= size) { errno = ENAMETOOLONG; return -1; }
    return 0;
}

/* Makes every directory of path (inside the new root) that is missing. The
 * first `skip` bytes name the root itself, which exists: starting below it
 * saves a failing mkdir per component of the root's path on every step. */
static size_t skip;

static int make_parents(char *path) {
    for (char *p = path + (skip ? skip + 1 : 1); *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int r = mkdir(path, 0755);
        *p = '/';
        if (r < 0 && errno != EEXIST) return -1;
    }
    return 0;
}

static int make_mountpoint(char *dst, int directory) {
    if (make_parents(dst) < 0) return -1;
    if (directory) {
        if (mkdir(dst, 0755) < 0 && errno != EEXIST) return -1;
        return 0;
    }
    int fd = open(dst, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    close(fd);
    return 0;
}

/* Read-only and nosuid (and nodev unless asked) for the whole bound tree. */
static int restrict_bind(const char *dst, int readonly, int dev) {
    struct mount_attr attr = { 0 };
    attr.attr_set = MOUNT_ATTR_NOSUID | (readonly ? MOUNT_ATTR_RDONLY : 0) | (dev ? 0 : MOUNT_ATTR_NODEV);
    if (syscall(SYS_mount_setattr, AT_FDCWD, dst, AT_RECURSIVE, &attr, sizeof attr) == 0)
        return 0;
    if (errno != ENOSYS) return -1;
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (readonly ? MS_RDONLY : 0) | (dev ? 0 : MS_NODEV);
    return mount(NULL, dst, NULL, flags, NULL);
}

static int do_op(const struct config *cfg, const struct mount_op *op) {
    char dst[4096];
    struct stat st;
    switch (op->kind) {
    case OP_MKDIR:
        if (under_root(cfg, op->a, dst, sizeof dst) < 0 || make_parents(dst) < 0) return -1;
        if (mkdir(dst, (mode_t)op->mode) < 0 && errno != EEXIST) return -1;
        return chmod(dst, (mode_t)op->mode);
    case OP_BIND: {
        if (under_root(cfg, op->b, dst, sizeof dst) < 0) return -1;
        if (stat(op->a, &st) < 0) return -1;
        if (make_mountpoint(dst, S_ISDIR(st.st_mode)) < 0) return -1;
        if (mount(op->a, dst, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
        return restrict_bind(dst, strncmp(op->flags, "rw", 2) != 0, strstr(op->flags, "dev") != NULL);
    }
    case OP_TMPFS:
        if (under_root(cfg, op->a, dst, sizeof dst) < 0 || make_mountpoint(dst, 1) < 0) return -1;
        return mount("tmpfs", dst, "tmpfs", MS_NOSUID | (strcmp(op->b, "dev") ? MS_NODEV : 0), op->flags);
    case OP_SYMLINK:
        if (under_root(cfg, op->b, dst, sizeof dst) < 0 || make_parents(dst) < 0) return -1;
        if (symlink(op->a, dst) < 0 && errno != EEXIST) return -1;
        return 0;
    case OP_FILE: {
        if (under_root(cfg, op->a, dst, sizeof dst) < 0 || make_parents(dst) < 0) return -1;
        int fd = open(dst, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, (mode_t)op->mode);
        if (fd < 0) return -1;
        size_t len = strlen(op->b);
        ssize_t n = write(fd, op->b, len);
        close(fd);
        return n == (ssize_t)len ? 0 : -1;
    }
    case OP_PROC:
        if (under_root(cfg, op->a, dst, sizeof dst) < 0 || make_mountpoint(dst, 1) < 0) return -1;
        /* hidepid=2: the program sees its own processes only, not init's
         * (root's) details, command line or mount table. */
        if (mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") < 0) return -1;
        /* Kernel knobs stay readable but never writable from inside. */
        char sys[4200];
        snprintf(sys, sizeof sys, "%s/sys", dst);
        if (mount(sys, sys, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
        return restrict_bind(sys, 1, 0);
    }
    errno = EINVAL;
    return -1;
}

int rootfs_build(const struct config *cfg) {
    skip = strlen(cfg->root);
    /* Nothing we mount may propagate back to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        status_sendf("error", "making mounts private: %s", strerror(errno));
        return -1;
    }
    if (mount("tmpfs", cfg->root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=0755") < 0) {
        status_sendf("error", "mounting the root tmpfs on %s: %s", cfg->root, strerror(errno));
        return -1;
    }
    for (int i = 0; i < cfg->nops; i++) {
        const struct mount_op *op = &cfg->ops[i];
        if (do_op(cfg, op) < 0) {
            status_sendf("error", "preparing %s in the sandbox: %s",
                         op->kind == OP_BIND || op->kind == OP_SYMLINK ? op->b : op->a, strerror(errno));
            return -1;
        }
    }
    return 0;
}

int rootfs_enter(const struct config *cfg) {
    if (chdir(cfg->root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
        chdir("/") < 0) {
        status_sendf("error", "entering the sandbox root: %s", strerror(errno));
        return -1;
    }
    /* The skeleton root itself is never writable from inside. */
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0) {
        status_sendf("error", "making the root read-only: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    int r = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
    return r;
}
