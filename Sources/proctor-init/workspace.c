/* Copies between the host workspace directory and the sandbox's /workspace.
 * Only regular files and directories cross, never a symlink, device, fifo or
 * socket; nothing is followed, so a link the program made cannot lead the
 * copy (which runs as root) anywhere outside the tree. */
#define _GNU_SOURCE
#include "proctor_init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 64

static int copy_bytes(int in, int out, off_t size) {
    off_t done = 0;
    while (done < size) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)(size - done), 0);
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
            n = sendfile(out, in, NULL, (size_t)(size - done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break; /* the file shrank; keep what was there */
        done += n;
    }
    return 0;
}

int tree_copy(int src_dir, int dst_dir, uid_t uid, gid_t gid, int depth, unsigned *skipped) {
    if (depth > MAX_DEPTH) { errno = ELOOP; return -1; }
    int dup_fd = fcntl(src_dir, F_DUPFD_CLOEXEC, 0);
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
        if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) { result = -1; break; }
        mode_t mode = st.st_mode & 0777;
        if (S_ISREG(st.st_mode)) {
            int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
            if (in < 0) { result = -1; break; }
            struct stat ist;
            if (fstat(in, &ist) < 0 || !S_ISREG(ist.st_mode)) { close(in); (*skipped)++; continue; }
            int out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
            if (out < 0) { close(in); result = -1; break; }
            int r = copy_bytes(in, out, ist.st_size);
            if (r == 0 && fchown(out, uid, gid) < 0) r = -1;
            if (r == 0 && fchmod(out, mode) < 0) r = -1;
            close(in);
            close(out);
            if (r < 0) { result = -1; break; }
        } else if (S_ISDIR(st.st_mode)) {
            if (mkdirat(dst_dir, name, 0700) < 0) { result = -1; break; }
            int sub_in = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int sub_out = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int r = (sub_in < 0 || sub_out < 0) ? -1 : tree_copy(sub_in, sub_out, uid, gid, depth + 1, skipped);
            if (r == 0 && (fchown(sub_out, uid, gid) < 0 || fchmod(sub_out, mode | 0700) < 0)) r = -1;
            if (sub_in >= 0) close(sub_in);
            if (sub_out >= 0) close(sub_out);
            if (r < 0) { result = -1; break; }
        } else {
            (*skipped)++;
        }
    }
    int saved = errno;
    closedir(d);
    errno = saved;
    return result;
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
