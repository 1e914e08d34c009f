/* The container's filesystem view, built inside its own mount namespace: rootfs (overlay or a plain dir),
 * the spec's mounts with targets resolved inside the rootfs (never on the host), device nodes, pivot_root,
 * then sysctls, masked and read-only paths and a read-only root. */
#ifndef TS_MOUNTS_H
#define TS_MOUNTS_H

#include "error.h"
#include "spec.h"

/* Everything up to and including pivot_root. Runs in the child, in its new mount namespace. */
int ts_mounts_setup_rootfs(const ts_spec *spec, ts_error *err);
/* After pivot_root: sysctls, masked paths, read-only paths, read-only root. */
int ts_mounts_finish(const ts_spec *spec, ts_error *err);

#endif
