// libs/image: OCI content store, registry pull/push, layer unpack, per-container rootfs dirs, import/export.
export * from './src/errors';
export * from './src/types';
export { parseReference, registryEndpoint } from './src/reference';
export type { ImageReference } from './src/reference';
export { resolveCommand } from './src/resolve-command';
export type { CommandSource, CommandOverride } from './src/resolve-command';
export { ImageStore } from './src/image-store';
export type { ImageStoreOptions, PullOptions, PullPolicy } from './src/image-store';
export { applyLayer, detectCompression } from './src/unpack';
export { BlobStore, sha256 } from './src/blob-store';
export { RegistryClient } from './src/registry-client';
export type { Credentials, RegistryClientOptions } from './src/registry-client';
