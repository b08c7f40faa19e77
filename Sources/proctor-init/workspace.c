/* Copies between the host workspace directory and the sandbox's /workspace.
 * Only regular files and directories cross, never a symlink, device, fifo or
 * socket; nothing is followed, so a link the program made cannot lead the
 * copy (which runs as root) anywhere outside the tree.
 *
 * Copying back is bounded as the program's own doing: bytes that land on the
 * host, entries, depth and a deadline. Hard links are recreated as links and
 * holes stay holes, so neither multiplies what is written; modes come back
 * normalised (0644 or 0755, never setuid, setgid or world-writable) and owned
 * by the service. A copy stopped at a bound says which in `over`. */
#define _GNU_SOURCE
#include "proctor_init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH 64
#define CHUNK (8ull << 20)

struct seen_link {
    dev_t dev;
    ino_t ino;
    char *path; /* relative to the destination root */
};

long long monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Records a bound that stopped the copy; always returns -1. */
static int stop(struct tree_copy *tc, const char *why) {
    if (!tc->over) tc->over = why;
    return -1;
}

/* A host-side write failure for lack of room is the node's disk, not a bug. */
static int write_failed(struct tree_copy *tc) {
    if (errno == ENOSPC || errno == EDQUOT) return stop(tc, "hostdisk");
    return -1;
}

static int out_of_time(const struct tree_copy *tc) {
    return tc->deadline_ns && monotonic_ns() > tc->deadline_ns;
}

/* Copies [from, to) of in to the same offsets of out, in chunks, counting bytes. */
static int copy_range(int in, int out, off_t from, off_t to, struct tree_copy *tc) {
    while (from < to) {
        if (out_of_time(tc)) return stop(tc, "time");
        size_t chunk = (size_t)(to - from) < CHUNK ? (size_t)(to - from) : CHUNK;
        if (tc->max_bytes && tc->bytes + chunk > tc->max_bytes) return stop(tc, "bytes");
        loff_t in_off = from, out_off = from;
        ssize_t n = copy_file_range(in, &in_off, out, &out_off, chunk, 0);
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
            off_t offset = from;
            n = lseek(out, from, SEEK_SET) < 0 ? -1 : sendfile(out, in, &offset, chunk);
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return write_failed(tc);
        if (n == 0) break; /* the file shrank; keep what was there */
        from += n;
        tc->bytes += (unsigned long long)n;
    }
    return 0;
}

/* Copies the data of a regular file, leaving its holes as holes. */
static int copy_file(int in, int out, off_t size, struct tree_copy *tc) {
    off_t pos = 0;
    while (pos < size) {
        off_t data = lseek(in, pos, SEEK_DATA);
        if (data < 0 && errno == ENXIO) break; /* only a hole is left */
        if (data < 0) data = pos;               /* no hole support: copy it all */
        off_t hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0 || hole > size) hole = size;
        if (copy_range(in, out, data, hole, tc) < 0) return -1;
        pos = hole;
    }
    if (ftruncate(out, size) < 0) return write_failed(tc);
    return 0;
}

/* The path of an already-copied inode, if this is a further link to it. */
static const char *seen(const struct tree_copy *tc, const struct stat *st) {
    for (size_t i = 0; i < tc->nlinks; i++)
        if (tc->links[i].dev == st->st_dev && tc->links[i].ino == st->st_ino) return tc->links[i].path;
    return NULL;
}

static void remember(struct tree_copy *tc, const struct stat *st, const char *path) {
    if (tc->nlinks == tc->caplinks) {
        size_t cap = tc->caplinks ? tc->caplinks * 2 : 64;
        struct seen_link *grown = realloc(tc->links, cap * sizeof *grown);
        if (!grown) return; /* it will be copied again, within the byte bound */
        tc->links = grown;
        tc->caplinks = cap;
    }
    char *copy = strdup(path);
    if (!copy) return;
    tc->links[tc->nlinks++] = (struct seen_link){ st->st_dev, st->st_ino, copy };
}

static mode_t file_mode(const struct tree_copy *tc, mode_t mode) {
    if (tc->normalize) return (mode & 0111) ? 0755 : 0644;
    return mode & 0777;
}

static int copy_entry(int src_dir, int dst_dir, const char *name, char *rel, size_t rel_len, int depth,
                      struct tree_copy *tc);

static int copy_dir(int src_dir, int dst_dir, char *rel, size_t rel_len, int depth, struct tree_copy *tc) {
    int dup_fd = fcntl(src_dir, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return -1;
    DIR *d = fdopendir(dup_fd);
    if (!d) { close(dup_fd); return -1; }
    rewinddir(d);
    int result = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if ((result = copy_entry(src_dir, dst_dir, e->d_name, rel, rel_len, depth, tc)) < 0) break;
    }
    int saved = errno;
    closedir(d);
    errno = saved;
    return result;
}

static int copy_entry(int src_dir, int dst_dir, const char *name, char *rel, size_t rel_len, int depth,
                      struct tree_copy *tc) {
    struct stat st;
    if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return -1;
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        tc->skipped++;
        return 0;
    }
    if (out_of_time(tc)) return stop(tc, "time");
    if (tc->max_entries && ++tc->entries > tc->max_entries) return stop(tc, "entries");
    size_t name_len = strlen(name);
    if (rel_len + name_len + 2 >= PATH_MAX) return stop(tc, "depth");
    if (rel_len) rel[rel_len++] = '/';
    memcpy(rel + rel_len, name, name_len + 1);
    size_t sub_len = rel_len + name_len;

    if (S_ISDIR(st.st_mode)) {
        if (depth >= tc->max_depth) {
            if (tc->normalize) return stop(tc, "depth");
            errno = ELOOP;
            return -1;
        }
        if (mkdirat(dst_dir, name, 0700) < 0) return write_failed(tc);
        int sub_in = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int sub_out = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r = (sub_in < 0 || sub_out < 0) ? -1 : copy_dir(sub_in, sub_out, rel, sub_len, depth + 1, tc);
        mode_t mode = tc->normalize ? 0755 : ((st.st_mode & 0777) | 0700);
        if (r == 0 && (fchown(sub_out, tc->uid, tc->gid) < 0 || fchmod(sub_out, mode) < 0)) r = -1;
        int saved = errno;
        if (sub_in >= 0) close(sub_in);
        if (sub_out >= 0) close(sub_out);
        errno = saved;
        return r;
    }

    if (st.st_nlink > 1) {
        const char *first = seen(tc, &st);
        if (first) {
            if (linkat(tc->dst_root, first, dst_dir, name, 0) < 0) return write_failed(tc);
            return 0;
        }
    }
    int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (in < 0) return -1;
    struct stat ist;
    if (fstat(in, &ist) < 0 || !S_ISREG(ist.st_mode)) {
        close(in);
        tc->skipped++;
        return 0;
    }
    int out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        int r = write_failed(tc);
        close(in);
        return r;
    }
    int r = copy_file(in, out, ist.st_size, tc);
    if (r == 0 && fchown(out, tc->uid, tc->gid) < 0) r = -1;
    if (r == 0 && fchmod(out, file_mode(tc, st.st_mode)) < 0) r = -1;
    int saved = errno;
    close(in);
    close(out);
    errno = saved;
    if (r == 0 && st.st_nlink > 1) remember(tc, &st, rel);
    return r;
}

int tree_copy(int src_dir, int dst_dir, struct tree_copy *tc) {
    char rel[PATH_MAX];
    rel[0] = '\0';
    if (!tc->max_depth || tc->max_depth > MAX_DEPTH) tc->max_depth = MAX_DEPTH;
    tc->dst_root = dst_dir;
    int r = copy_dir(src_dir, dst_dir, rel, 0, 0, tc);
    for (size_t i = 0; i < tc->nlinks; i++) free(tc->links[i].path);
    free(tc->links);
    tc->links = NULL;
    tc->nlinks = tc->caplinks = 0;
    return r;
}

int tree_clear(int dir, int depth) {
    if (depth > MAX_DEPTH) { errno = ELOOP; return -1; }
    int dup_fd = fcntl(dir, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return -1;
    DIR *d = fdopendir(dup_fd);
    if (!d) { close(dup_fd); return -1; }
    rewinddir(d);
    int result = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
        struct stat st;
        if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) { result = -1; break; }
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int r = sub < 0 ? -1 : tree_clear(sub, depth + 1);
            if (sub >= 0) close(sub);
            if (r < 0 || unlinkat(dir, name, AT_REMOVEDIR) < 0) { result = -1; break; }
        } else if (unlinkat(dir, name, 0) < 0) {
            result = -1;
            break;
        }
    }
    int saved = errno;
    closedir(d);
    errno = saved;
    return result;
}
