/* Process confinement applied in the child before exec: rlimits, user and groups, capabilities and
 * no_new_privs (the seccomp filter is seccomp.h). */
#ifndef TS_SECURITY_H
#define TS_SECURITY_H

#include "error.h"
#include "spec.h"

int ts_apply_rlimits(const ts_spec *spec, ts_error *err);
/* Bounding set, groups, uid/gid (keeping caps across the switch), then the cap sets and ambient caps. */
int ts_apply_identity(const ts_spec *spec, ts_error *err);

#endif
