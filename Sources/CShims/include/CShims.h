// Small C helpers for what Swift cannot do safely itself.
#ifndef SLMFLOW_CSHIMS_H
#define SLMFLOW_CSHIMS_H

#include <sys/types.h>

/// Starts `argv[0]` (searched in PATH) with `envp`, in folder `cwd`, stdin from /dev/null,
/// stdout and stderr appended to `log_path`. The child gets SIGKILL if the thread that
/// started it dies (PR_SET_PDEATHSIG), so a killed slmflow leaves no command running.
/// Returns 0 and sets *pid, or an errno value (also for a failed chdir or exec).
int cshims_spawn(char *const argv[], char *const envp[], const char *cwd, const char *log_path, pid_t *pid);

/// A spin-wait hint to the CPU (x86 PAUSE; nothing elsewhere): the spinning thread yields
/// pipeline resources and the memory-order machinery instead of hammering a cache line.
static inline void cshims_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#endif
