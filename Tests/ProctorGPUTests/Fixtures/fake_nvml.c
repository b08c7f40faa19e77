/* A fake NVML for tests: exports the NVML functions Proctor calls, driven by
 * a state file named by FAKE_NVML_STATE and re-read on every call, so a test
 * can change a GPU's health or a process's VRAM while a job runs.
 *
 *   gpu UUID NAME TOTAL USED UTIL TEMP MAJOR MINOR ECC_UNCORRECTED LOST
 *   proc GPU_INDEX PID USED_BYTES
 *   slowdown GPU_INDEX REASON_BITS      (nvmlClocksEventReason bits, e.g. 64: hardware thermal slowdown)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GPUS 16
#define MAX_PROCS 256

typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct { unsigned int pid; unsigned long long usedGpuMemory; unsigned int gi, ci; } nvmlProcessInfo_t;

struct gpu { char uuid[96], name[96]; unsigned long long total, used, ecc, slowdown; unsigned util, temp, lost; int major, minor; };
struct proc { unsigned gpu, pid; unsigned long long used; };

static struct gpu gpus[MAX_GPUS];
static struct proc procs[MAX_PROCS];
static unsigned ngpus, nprocs;

static int load(void) {
    const char *path = getenv("FAKE_NVML_STATE");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) return 9; /* NVML_ERROR_DRIVER_NOT_LOADED */
    ngpus = nprocs = 0;
    char kind[16];
    while (fscanf(f, "%15s", kind) == 1) {
        if (!strcmp(kind, "gpu") && ngpus < MAX_GPUS) {
            struct gpu *g = &gpus[ngpus];
            if (fscanf(f, "%95s %95s %llu %llu %u %u %d %d %llu %u", g->uuid, g->name, &g->total, &g->used, &g->util,
                       &g->temp, &g->major, &g->minor, &g->ecc, &g->lost) == 10) { g->slowdown = 0; ngpus++; }
        } else if (!strcmp(kind, "slowdown")) {
            unsigned index; unsigned long long bits;
            if (fscanf(f, "%u %llu", &index, &bits) == 2 && index < ngpus) gpus[index].slowdown = bits;
        } else if (!strcmp(kind, "proc") && nprocs < MAX_PROCS) {
            struct proc *p = &procs[nprocs];
            if (fscanf(f, "%u %u %llu", &p->gpu, &p->pid, &p->used) == 3) nprocs++;
        }
    }
    fclose(f);
    return 0;
}

static int device(void *handle, struct gpu **out) {
    unsigned long index = (unsigned long)handle - 1;
    if (load() || index >= ngpus) return 2; /* INVALID_ARGUMENT */
    *out = &gpus[index];
    return (*out)->lost ? 15 : 0; /* GPU_IS_LOST */
}

int nvmlInit_v2(void) { return load(); }
int nvmlShutdown(void) { return 0; }
int nvmlDeviceGetCount_v2(unsigned *count) { int r = load(); if (!r) *count = ngpus; return r; }
int nvmlDeviceGetHandleByIndex_v2(unsigned index, void **handle) {
    if (load() || index >= ngpus) return 2;
    *handle = (void *)(unsigned long)(index + 1);
    return 0;
}
int nvmlDeviceGetName(void *h, char *name, unsigned length) {
    struct gpu *g; int r = device(h, &g); if (r) return r;
    snprintf(name, length, "%s", g->name); return 0;
}
int nvmlDeviceGetUUID(void *h, char *uuid, unsigned length) {
    struct gpu *g; int r = device(h, &g); if (r) return r;
    snprintf(uuid, length, "%s", g->uuid); return 0;
}
int nvmlDeviceGetMinorNumber(void *h, unsigned *minor) {
    struct gpu *g; int r = device(h, &g); if (r) return r;
    *minor = (unsigned)((unsigned long)h - 1); return 0;
}
int nvmlDeviceGetMemoryInfo(void *h, nvmlMemory_t *m) {
    struct gpu *g; int r = device(h, &g); if (r) return r;
    m->total = g->total; m->used = g->used; m->free = g->total - g->used; return 0;
}
int nvmlDeviceGetUtilizationRates(void *h, nvmlUtilization_t *u) {
    struct gpu *g; int r = device(h, &g); if (r) return r;
    u->gpu = g->util; u->memory = 0; return 0;
}
int nvmlDeviceGetTemperature(void *h, int sensor, unsigned *temp) {
    struct gpu *g; int r = device(h, &g); if (r) return r;
    (void)sensor; *temp = g->temp; return 0;
}
int nvmlDeviceGetCudaComputeCapability(void *h, int *major, int *minor) {
    struct gpu *g; int r = device(h, &g); if (r) return r;
    *major = g->major; *minor = g->minor; return 0;
}
int nvmlDeviceGetCurrentClocksEventReasons(void *h, unsigned long long *reasons) {
    struct gpu *g; int r = device(h, &g); if (r) return r;
    *reasons = g->slowdown; return 0;
}
int nvmlDeviceGetTotalEccErrors(void *h, int type, int counter, unsigned long long *count) {
    struct gpu *g; int r = device(h, &g); if (r) return r;
    (void)type; (void)counter; *count = g->ecc; return 0;
}
int nvmlDeviceGetComputeRunningProcesses_v3(void *h, unsigned *count, nvmlProcessInfo_t *infos) {
    struct gpu *g; int r = device(h, &g); if (r) return r;
    unsigned index = (unsigned)((unsigned long)h - 1), n = 0;
    for (unsigned i = 0; i < nprocs; i++) if (procs[i].gpu == index) n++;
    if (!infos || *count < n) { *count = n; return n ? 7 : 0; } /* INSUFFICIENT_SIZE */
    n = 0;
    for (unsigned i = 0; i < nprocs; i++)
        if (procs[i].gpu == index) { infos[n].pid = procs[i].pid; infos[n].usedGpuMemory = procs[i].used; infos[n].gi = infos[n].ci = 0; n++; }
    *count = n;
    return 0;
}
