/* The status channel: short text lines the supervisor parses. */
#include "proctor_init.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void status_send(const char *kind, const char *detail) {
    char line[512];
    int n = snprintf(line, sizeof line, "%s %s\n", kind, detail ? detail : "");
    if (n < 0) return;
    if ((size_t)n >= sizeof line) {
        n = sizeof line - 1;
        line[n - 1] = '\n';
    }
    /* Keep newlines inside the detail from splitting the message. */
    for (int i = 0; i < n - 1; i++)
        if (line[i] == '\n') line[i] = ' ';
    while (write(FD_STATUS, line, (size_t)n) < 0 && errno == EINTR) {}
}

void status_sendf(const char *kind, const char *fmt, ...) {
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    status_send(kind, detail);
}
