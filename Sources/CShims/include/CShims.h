// Small wrappers over libc calls Swift's Glibc module does not export.
#ifndef SLMFLOW_CSHIMS_H
#define SLMFLOW_CSHIMS_H

#include <spawn.h>

/// posix_spawn_file_actions_addchdir_np (glibc ≥ 2.29), hidden behind _GNU_SOURCE.
int cshims_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path);

#endif
