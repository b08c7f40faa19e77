/* Parses the supervisor's configuration: NUL-terminated tokens, each key
 * followed by a fixed number of values. Unknown keys are an error, so a
 * supervisor and helper of different versions fail loudly. */
#include "proctor_init.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct cursor {
    char *pos, *end;
};

static const char *next(struct cursor *c) {
    if (c->pos >= c->end) return NULL;
    char *s = c->pos;
    char *nul = memchr(s, '\0', (size_t)(c->end - s));
    if (!nul) return NULL;
    c->pos = nul + 1;
    return s;
}

static int number(const char *s, unsigned long long *out) {
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

static int nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Decodes lower-case hex into a new buffer: the seccomp program, whole
 * sock_filter instructions (8 bytes each). */
static int hex_decode(const char *hex, unsigned char **out, size_t *len) {
    size_t n = strlen(hex);
    if (n == 0 || n % 16) return -1;
    unsigned char *bytes = malloc(n / 2);
    if (!bytes) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) { free(bytes); return -1; }
        bytes[i] = (unsigned char)(hi << 4 | lo);
    }
    *out = bytes;
    *len = n / 2;
    return 0;
}

static int rlimit_resource(const char *name) {
    if (!strcmp(name, "nofile")) return RLIMIT_NOFILE;
    if (!strcmp(name, "fsize")) return RLIMIT_FSIZE;
    if (!strcmp(name, "stack")) return RLIMIT_STACK;
    if (!strcmp(name, "core")) return RLIMIT_CORE;
    if (!strcmp(name, "nproc")) return RLIMIT_NPROC;
    return -1;
}

int config_read(int fd, struct config *cfg) {
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf) return -1;
    for (;;) {
        if (len == cap) {
            if (cap >= (16u << 20)) { free(buf); errno = E2BIG; return -1; }
            cap *= 2;
            char *grown = realloc(buf, cap);
            if (!grown) { free(buf); return -1; }
            buf = grown;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { free(buf); return -1; }
        if (n == 0) break;
        len += (size_t)n;
    }
    memset(cfg, 0, sizeof *cfg);
    cfg->hostname = "proctor";
    cfg->cwd = "/";
    cfg->uid = cfg->gid = 65534;
    struct cursor c = { buf, buf + len };
    const char *key;
    unsigned long long n;
#define NEED(v) do { if (!((v) = next(&c))) goto bad; } while (0)
    while ((key = next(&c))) {
        const char *v1, *v2, *v3;
        if (!strcmp(key, "argv")) {
            if (cfg->argc >= MAX_ITEMS) goto bad;
            NEED(cfg->argv[cfg->argc]); cfg->argc++;
        } else if (!strcmp(key, "env")) {
            if (cfg->envc >= MAX_ITEMS) goto bad;
            NEED(cfg->envp[cfg->envc]); cfg->envc++;
        } else if (!strcmp(key, "cgroup")) {
            if (cfg->ncgroups >= 16) goto bad;
            NEED(cfg->cgroups[cfg->ncgroups]); cfg->ncgroups++;
        } else if (!strcmp(key, "seccomp")) {
            NEED(v1);
            if (hex_decode(v1, &cfg->seccomp, &cfg->seccomp_len) < 0) goto bad;
        } else if (!strcmp(key, "root")) { NEED(cfg->root);
        } else if (!strcmp(key, "workspace")) { NEED(cfg->workspace);
        } else if (!strcmp(key, "hostname")) { NEED(cfg->hostname);
        } else if (!strcmp(key, "netns")) { NEED(cfg->netns);
        } else if (!strcmp(key, "cwd")) { NEED(cfg->cwd);
        } else if (!strcmp(key, "uid")) { NEED(v1); if (number(v1, &n)) goto bad; cfg->uid = (uid_t)n;
        } else if (!strcmp(key, "gid")) { NEED(v1); if (number(v1, &n)) goto bad; cfg->gid = (gid_t)n;
        } else if (!strcmp(key, "loopback")) { NEED(v1); cfg->loopback = !strcmp(v1, "1");
        } else if (!strcmp(key, "owner")) {
            NEED(v1); NEED(v2);
            unsigned long long g;
            if (number(v1, &n) || number(v2, &g)) goto bad;
            cfg->owner_uid = (uid_t)n;
            cfg->owner_gid = (gid_t)g;
        } else if (!strcmp(key, "userns")) {
            NEED(v1); NEED(v2);
            unsigned long long g;
            if (number(v1, &n) || number(v2, &g)) goto bad;
            cfg->userns = 1;
            cfg->outer_uid = (uid_t)n;
            cfg->outer_gid = (gid_t)g;
        } else if (!strcmp(key, "copy_ms")) { NEED(v1); if (number(v1, &cfg->copy_ms)) goto bad;
        } else if (!strcmp(key, "copyback")) {
            /* bytes, entries, depth */
            NEED(v1); NEED(v2); NEED(v3);
            unsigned long long entries, depth;
            if (number(v1, &cfg->copy_bytes) || number(v2, &entries) || number(v3, &depth) || depth > 64) goto bad;
            cfg->copy_entries = (unsigned)entries;
            cfg->copy_depth = (int)depth;
        } else if (!strcmp(key, "output")) { NEED(v1); if (number(v1, &cfg->output_limit)) goto bad;
        } else if (!strcmp(key, "rlimit")) {
            NEED(v1); NEED(v2);
            int r = rlimit_resource(v1);
            if (r < 0 || number(v2, &n) || cfg->nrlimits >= 16) goto bad;
            cfg->rlimits[cfg->nrlimits].resource = r;
            cfg->rlimits[cfg->nrlimits].value = n;
            cfg->nrlimits++;
        } else {
            if (cfg->nops >= MAX_ITEMS) goto bad;
            struct mount_op *op = &cfg->ops[cfg->nops];
            if (!strcmp(key, "mkdir")) {
                op->kind = OP_MKDIR; NEED(op->a); NEED(v1);
                if (number(v1, &n)) goto bad;
                op->mode = (unsigned long)n;
            } else if (!strcmp(key, "bind")) {
                op->kind = OP_BIND; NEED(op->a); NEED(op->b); NEED(op->flags);
            } else if (!strcmp(key, "tmpfs")) {
                op->kind = OP_TMPFS; NEED(op->a); NEED(op->b); NEED(op->flags);
            } else if (!strcmp(key, "symlink")) {
                op->kind = OP_SYMLINK; NEED(op->a); NEED(op->b);
            } else if (!strcmp(key, "file")) {
                op->kind = OP_FILE; NEED(op->a); NEED(v1); NEED(v3);
                if (number(v1, &n)) goto bad;
                op->mode = (unsigned long)n; op->b = v3;
            } else if (!strcmp(key, "proc")) {
                op->kind = OP_PROC; NEED(op->a);
            } else {
                goto bad;
            }
            cfg->nops++;
        }
    }
#undef NEED
    if (cfg->argc == 0 || !cfg->root || !cfg->seccomp) goto bad;
    return 0;
bad:
    errno = EINVAL;
    return -1;
}
