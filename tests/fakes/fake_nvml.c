/* fake_nvml.c: a stand-in for libnvidia-ml.so, so NvmlSource can be tested without a GPU.
 *
 * It exports the NVML functions NvmlSource uses, with C linkage. Behaviour comes from the
 * state file named by $FAKE_NVML_STATE, re-read on every call so a test can change values
 * between reads. One GPU per line:
 *
 *   <name> <uuid> <mode> <energy_mj> <power_mw>
 *
 * name: '_' stands for a space ("NVIDIA_H100" is "NVIDIA H100").
 * mode: counter (energy and power supported)
 *       power   (energy returns NVML_ERROR_NOT_SUPPORTED, power works)
 *       energy  (energy works, power returns NVML_ERROR_NOT_SUPPORTED)
 *       error   (energy and power return NVML_ERROR_UNKNOWN)
 *       lost    (every call on the device, handle lookup included, returns NVML_ERROR_GPU_IS_LOST)
 * A first line "init_fail" makes nvmlInit_v2 fail with NVML_ERROR_DRIVER_NOT_LOADED.
 * Blank lines and lines starting with '#' are ignored; a missing file means no GPU.
 *
 * If $FAKE_NVML_LOG names a file, each nvmlInit_v2 / nvmlShutdown call appends a line
 * "init" / "shutdown" to it, so tests can check that shutdown happens.
 * Device calls made before nvmlInit_v2 (or after the last nvmlShutdown) return
 * NVML_ERROR_UNINITIALIZED, as the real library does.
 *
 * Power limits live in the file named by $FAKE_NVML_LIMITS, one line per GPU index:
 *
 *   <limit_mw> <min_mw> <max_mw> <allowed|denied|unsupported>
 *
 * nvmlDeviceSetPowerManagementLimit rewrites that GPU's limit in the file (so a test can read
 * it after the process that set it has died) and appends "set_power_limit <index> <mW>" to
 * $FAKE_NVML_LOG; "denied" answers NVML_ERROR_NO_PERMISSION, as the driver does for a user
 * who is not root; "unsupported" or no line answers NVML_ERROR_NOT_SUPPORTED. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st* nvmlDevice_t;

enum {
  NVML_SUCCESS = 0,
  NVML_ERROR_UNINITIALIZED = 1,
  NVML_ERROR_INVALID_ARGUMENT = 2,
  NVML_ERROR_NOT_SUPPORTED = 3,
  NVML_ERROR_NO_PERMISSION = 4,
  NVML_ERROR_INSUFFICIENT_SIZE = 7,
  NVML_ERROR_DRIVER_NOT_LOADED = 9,
  NVML_ERROR_GPU_IS_LOST = 15,
  NVML_ERROR_UNKNOWN = 999
};

#define FAKE_MAX_GPUS 16
#define FAKE_TEXT 128

struct fake_gpu {
  char name[FAKE_TEXT];
  char uuid[FAKE_TEXT];
  char mode[16];
  unsigned long long energy_mj;
  unsigned int power_mw;
};

struct fake_state {
  int init_fail;
  unsigned int count;
  struct fake_gpu gpus[FAKE_MAX_GPUS];
};

static int init_count = 0; /* nvmlInit_v2 calls not yet matched by nvmlShutdown */

/* Reads $FAKE_NVML_STATE into *s. */
static void load_state(struct fake_state* s) {
  memset(s, 0, sizeof *s);
  const char* path = getenv("FAKE_NVML_STATE");
  if (!path) return;
  FILE* f = fopen(path, "r");
  if (!f) return;
  char line[512];
  int first = 1;
  while (fgets(line, sizeof line, f)) {
    char* p = line;
    while (*p == ' ' || *p == '\t') ++p;
    if (*p == '\0' || *p == '\n' || *p == '#') continue;
    if (first && strncmp(p, "init_fail", 9) == 0) {
      s->init_fail = 1;
      break;
    }
    first = 0;
    if (s->count >= FAKE_MAX_GPUS) break;
    struct fake_gpu* g = &s->gpus[s->count];
    if (sscanf(p, "%127s %127s %15s %llu %u", g->name, g->uuid, g->mode, &g->energy_mj, &g->power_mw) != 5) {
      continue; /* a malformed line is no GPU */
    }
    for (char* c = g->name; *c; ++c) {
      if (*c == '_') *c = ' ';
    }
    s->count++;
  }
  fclose(f);
}

static void log_call(const char* what) {
  const char* path = getenv("FAKE_NVML_LOG");
  if (!path) return;
  FILE* f = fopen(path, "a");
  if (!f) return;
  fprintf(f, "%s\n", what);
  fclose(f);
}

/* Handles are index + 1, so that no handle is NULL. */
static nvmlDevice_t handle_of(unsigned int index) { return (nvmlDevice_t)(uintptr_t)(index + 1); }

/* Finds the GPU behind `device` in a fresh state; returns an NVML status. */
static nvmlReturn_t lookup(nvmlDevice_t device, struct fake_state* s, struct fake_gpu** gpu) {
  if (init_count <= 0) return NVML_ERROR_UNINITIALIZED;
  load_state(s);
  uintptr_t index = (uintptr_t)device;
  if (index == 0 || index > s->count) return NVML_ERROR_INVALID_ARGUMENT;
  *gpu = &s->gpus[index - 1];
  if (strcmp((*gpu)->mode, "lost") == 0) return NVML_ERROR_GPU_IS_LOST;
  return NVML_SUCCESS;
}

static nvmlReturn_t copy_text(const char* text, char* out, unsigned int length) {
  if (!out) return NVML_ERROR_INVALID_ARGUMENT;
  if (strlen(text) + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
  strcpy(out, text);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit_v2(void) {
  struct fake_state s;
  load_state(&s);
  log_call("init");
  if (s.init_fail) return NVML_ERROR_DRIVER_NOT_LOADED;
  init_count++;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlShutdown(void) {
  log_call("shutdown");
  if (init_count <= 0) return NVML_ERROR_UNINITIALIZED;
  init_count--;
  return NVML_SUCCESS;
}

const char* nvmlErrorString(nvmlReturn_t result) {
  switch (result) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
  }
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* count) {
  if (init_count <= 0) return NVML_ERROR_UNINITIALIZED;
  if (!count) return NVML_ERROR_INVALID_ARGUMENT;
  struct fake_state s;
  load_state(&s);
  *count = s.count;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
  if (init_count <= 0) return NVML_ERROR_UNINITIALIZED;
  if (!device) return NVML_ERROR_INVALID_ARGUMENT;
  struct fake_state s;
  load_state(&s);
  if (index >= s.count) return NVML_ERROR_INVALID_ARGUMENT;
  if (strcmp(s.gpus[index].mode, "lost") == 0) return NVML_ERROR_GPU_IS_LOST;
  *device = handle_of(index);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned int length) {
  struct fake_state s;
  struct fake_gpu* g = NULL;
  nvmlReturn_t rc = lookup(device, &s, &g);
  if (rc != NVML_SUCCESS) return rc;
  return copy_text(g->name, name, length);
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned int length) {
  struct fake_state s;
  struct fake_gpu* g = NULL;
  nvmlReturn_t rc = lookup(device, &s, &g);
  if (rc != NVML_SUCCESS) return rc;
  return copy_text(g->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long* energy_mj) {
  struct fake_state s;
  struct fake_gpu* g = NULL;
  nvmlReturn_t rc = lookup(device, &s, &g);
  if (rc != NVML_SUCCESS) return rc;
  if (!energy_mj) return NVML_ERROR_INVALID_ARGUMENT;
  if (strcmp(g->mode, "counter") == 0 || strcmp(g->mode, "energy") == 0) {
    *energy_mj = g->energy_mj;
    return NVML_SUCCESS;
  }
  if (strcmp(g->mode, "power") == 0) return NVML_ERROR_NOT_SUPPORTED;
  return NVML_ERROR_UNKNOWN;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int* power_mw) {
  struct fake_state s;
  struct fake_gpu* g = NULL;
  nvmlReturn_t rc = lookup(device, &s, &g);
  if (rc != NVML_SUCCESS) return rc;
  if (!power_mw) return NVML_ERROR_INVALID_ARGUMENT;
  if (strcmp(g->mode, "counter") == 0 || strcmp(g->mode, "power") == 0) {
    *power_mw = g->power_mw;
    return NVML_SUCCESS;
  }
  if (strcmp(g->mode, "energy") == 0) return NVML_ERROR_NOT_SUPPORTED;
  return NVML_ERROR_UNKNOWN;
}

/* --- Power limits ($FAKE_NVML_LIMITS) --- */

struct fake_limit {
  unsigned int limit_mw, min_mw, max_mw;
  char permission[16];
};

/* Reads every line of $FAKE_NVML_LIMITS; returns how many were read. */
static unsigned int load_limits(struct fake_limit* limits, unsigned int capacity) {
  const char* path = getenv("FAKE_NVML_LIMITS");
  if (!path) return 0;
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  unsigned int n = 0;
  char line[256];
  while (n < capacity && fgets(line, sizeof line, f)) {
    struct fake_limit* l = &limits[n];
    if (sscanf(line, "%u %u %u %15s", &l->limit_mw, &l->min_mw, &l->max_mw, l->permission) == 4) n++;
  }
  fclose(f);
  return n;
}

/* Finds the limit line of `device`: NVML_SUCCESS, or why not. */
static nvmlReturn_t limit_of(nvmlDevice_t device, struct fake_limit* limits, unsigned int* count, unsigned int* index) {
  struct fake_state s;
  struct fake_gpu* g = NULL;
  nvmlReturn_t rc = lookup(device, &s, &g);
  if (rc != NVML_SUCCESS) return rc;
  *index = (unsigned int)((uintptr_t)device - 1);
  *count = load_limits(limits, FAKE_MAX_GPUS);
  if (*index >= *count || strcmp(limits[*index].permission, "unsupported") == 0) return NVML_ERROR_NOT_SUPPORTED;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t device, unsigned int* limit_mw) {
  struct fake_limit limits[FAKE_MAX_GPUS];
  unsigned int count = 0, index = 0;
  nvmlReturn_t rc = limit_of(device, limits, &count, &index);
  if (rc != NVML_SUCCESS) return rc;
  if (!limit_mw) return NVML_ERROR_INVALID_ARGUMENT;
  *limit_mw = limits[index].limit_mw;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimitConstraints(nvmlDevice_t device, unsigned int* min_mw, unsigned int* max_mw) {
  struct fake_limit limits[FAKE_MAX_GPUS];
  unsigned int count = 0, index = 0;
  nvmlReturn_t rc = limit_of(device, limits, &count, &index);
  if (rc != NVML_SUCCESS) return rc;
  if (!min_mw || !max_mw) return NVML_ERROR_INVALID_ARGUMENT;
  *min_mw = limits[index].min_mw;
  *max_mw = limits[index].max_mw;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceSetPowerManagementLimit(nvmlDevice_t device, unsigned int limit_mw) {
  struct fake_limit limits[FAKE_MAX_GPUS];
  unsigned int count = 0, index = 0;
  nvmlReturn_t rc = limit_of(device, limits, &count, &index);
  if (rc != NVML_SUCCESS) return rc;
  if (strcmp(limits[index].permission, "allowed") != 0) return NVML_ERROR_NO_PERMISSION;
  if (limit_mw < limits[index].min_mw || limit_mw > limits[index].max_mw) return NVML_ERROR_INVALID_ARGUMENT;
  limits[index].limit_mw = limit_mw;
  FILE* f = fopen(getenv("FAKE_NVML_LIMITS"), "w");
  if (!f) return NVML_ERROR_UNKNOWN;
  for (unsigned int i = 0; i < count; ++i) {
    fprintf(f, "%u %u %u %s\n", limits[i].limit_mw, limits[i].min_mw, limits[i].max_mw, limits[i].permission);
  }
  fclose(f);
  char what[64];
  snprintf(what, sizeof what, "set_power_limit %u %u", index, limit_mw);
  log_call(what);
  return NVML_SUCCESS;
}
