// libs/store: Redis persistence of tsstack (ioredis): versioned atomic writes, task status, event stream,
// leader lease, shared tokens, and the embedded redis-server. Public door of this bounded context.
export { DEFAULT_PREFIX, keys } from './src/keys';
export type { EventInput, NodeRecord, ServiceRecord, StackRecord } from './src/records';
export { connectRedis, redisOptions, safeUrl, storeError } from './src/redis-connect';
export { FenceLostError, StateStore } from './src/state-store';
export type { Mutation, RecordKind, StatusResult, StoreOptions } from './src/state-store';
export { startRedisServer } from './src/redis-server.driver';
export type { RedisServerHandle } from './src/redis-server.driver';
