// libs/runtime: containers made by tsstack's native core (namespaces, overlay rootfs, cgroups, capabilities,
// seccomp), each under its own tsstack-shim. Public door of this bounded context.
export { ContainerRuntime, seccompCacheDir } from './src/container-runtime';
export type { RuntimeOptions, ExecResult, ExecProcess } from './src/container-runtime';
export * from './src/types';
export * from './src/errors';
export { buildOciConfig, checkContainerSpec, effectiveCapabilities } from './src/oci-config';
export type { OciContext, HostDevice } from './src/oci-config';
export { defaultSeccompProfile } from './src/seccomp/default-profile';
export { resolveSeccompProfile, currentSeccompHost } from './src/seccomp/resolve-profile';
export type { OciSeccomp, SeccompHost } from './src/seccomp/resolve-profile';
export { DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS } from './src/security-defaults';
export { resolveUser, resolveUserInRootfs } from './src/user-lookup';
export { detectCgroupVersion, readCgroupStats } from './src/cgroup-stats';
export { runtimeCliPath, shimPath } from './src/native';
