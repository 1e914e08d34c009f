// The store's Lua scripts: each runs atomically inside Redis, so a versioned write either applies whole or
// not at all, and the events it appends are in the same step. Keys are built from the prefix inside the
// scripts (fine on a standalone Redis or a Sentinel primary; not meant for Redis Cluster).

/**
 * apply(prefix, payload JSON, now) -> {0} applied | {1, i} version check i failed | {2} fence lost.
 * payload: {fence?, checks:[{k,v}], docs:[{k,v,d,idx,m}], dels:[{k,idx,m}], strs:[{k,d}],
 *           tasks:[{id,t,n,stack,svc,s?,st?}], taskDels:[id], events:[json], maxlen}
 * A check {k,v}: the hash k has field v equal to v (0 = the record must not exist).
 * The controller writes a task's status s only when there is none or st moves it forward (pending -> assigned).
 */
export const APPLY_LUA = `
local pre = ARGV[1]
local p = cjson.decode(ARGV[2])
if p.fence and p.fence ~= cjson.null then
  if redis.call('GET', pre .. 'leader') ~= p.fence then return {2} end
end
for i, c in ipairs(p.checks or {}) do
  local v = tonumber(redis.call('HGET', pre .. c.k, 'v') or '0')
  if v ~= c.v then return {1, i} end
end
for _, d in ipairs(p.docs or {}) do
  redis.call('HSET', pre .. d.k, 'v', d.v, 'd', d.d)
  if d.idx then redis.call('SADD', pre .. d.idx, d.m) end
end
for _, d in ipairs(p.dels or {}) do
  redis.call('DEL', pre .. d.k)
  if d.idx then redis.call('SREM', pre .. d.idx, d.m) end
end
for _, s in ipairs(p.strs or {}) do
  if s.d == cjson.null or s.d == nil then redis.call('DEL', pre .. s.k) else redis.call('SET', pre .. s.k, s.d) end
end
for _, t in ipairs(p.tasks or {}) do
  local k = pre .. 'task:' .. t.id
  redis.call('HSET', k, 't', t.t, 'n', t.n, 'stack', t.stack, 'svc', t.svc)
  redis.call('HINCRBY', k, 'tv', 1)
  if t.s and t.s ~= cjson.null then
    local cur = tonumber(redis.call('HGET', k, 'st') or '-1')
    if cur < t.st then redis.call('HSET', k, 's', t.s, 'st', t.st, 'h', t.h) end
  end
  redis.call('SADD', pre .. 'tasks', t.id)
end
for _, id in ipairs(p.taskDels or {}) do
  redis.call('DEL', pre .. 'task:' .. id)
  redis.call('SREM', pre .. 'tasks', id)
end
for _, e in ipairs(p.events or {}) do
  redis.call('XADD', pre .. 'events', 'MAXLEN', '~', p.maxlen, '*', 'e', e)
end
redis.call('PUBLISH', pre .. 'notify', '1')
return {0}
`;

/**
 * status(prefix, reports JSON, now, maxlen, state names JSON) -> one code per report:
 * 0 applied | -1 no such task | -3 task not on this node | -4 older than what is stored.
 * reports: [{id, n, s, st, h}] (s = status JSON, st = state number, h = health), applied in order.
 * Appends task.state (state moved) or task.health (health moved) events; one notify for the batch.
 * startedAt and containerId of an earlier report survive a later report that lacks them.
 */
export const STATUS_LUA = `
local pre = ARGV[1]
local reports = cjson.decode(ARGV[2])
local names = cjson.decode(ARGV[5])
local out = {}
local changed = false
for i, r in ipairs(reports) do
  local k = pre .. 'task:' .. r.id
  local f = redis.call('HMGET', k, 'n', 'st', 'h', 'stack', 'svc')
  if not f[1] then out[i] = -1
  elseif f[1] ~= r.n then out[i] = -3
  else
    local cur = tonumber(f[2] or '-1')
    if r.st < cur then out[i] = -4
    else
      -- A later report without startedAt/containerId (a task that failed right after starting) keeps the
      -- ones an earlier report of the same task gave.
      local incoming = cjson.decode(r.s)
      if incoming.startedAt == nil or incoming.containerId == nil then
        local old = redis.call('HGET', k, 's')
        if old then
          local prev = cjson.decode(old)
          local kept = false
          if incoming.startedAt == nil and prev.startedAt ~= nil then incoming.startedAt = prev.startedAt; kept = true end
          if incoming.containerId == nil and prev.containerId ~= nil then incoming.containerId = prev.containerId; kept = true end
          if kept then r.s = cjson.encode(incoming) end
        end
      end
      redis.call('HSET', k, 's', r.s, 'st', r.st, 'h', r.h)
      out[i] = 0
      local ev = nil
      if r.st ~= cur then
        local status = cjson.decode(r.s)
        local msg = status.message
        if status.error and status.error ~= cjson.null then msg = status.error end
        ev = {time = tonumber(ARGV[3]), type = 'task.state', stack = f[4], service = f[5], task = r.id, node = r.n,
              from = names[tostring(cur)], to = names[tostring(r.st)], message = msg}
      elseif f[3] ~= r.h then
        ev = {time = tonumber(ARGV[3]), type = 'task.health', stack = f[4], service = f[5], task = r.id, node = r.n,
              from = f[3], to = r.h}
      elseif type(incoming.progress) == 'table' then
        -- An event for the stream, but no reconcile wake-up: nothing the planner reads changed.
        redis.call('XADD', pre .. 'events', 'MAXLEN', '~', ARGV[4], '*', 'e', cjson.encode({time = tonumber(ARGV[3]),
          type = 'image.pull.progress', stack = f[4], service = f[5], task = r.id, node = r.n, data = incoming.progress}))
      end
      if ev then
        redis.call('XADD', pre .. 'events', 'MAXLEN', '~', ARGV[4], '*', 'e', cjson.encode(ev))
        changed = true
      end
    end
  end
end
if changed then redis.call('PUBLISH', pre .. 'notify', '1') end
return out
`;

/** lease(prefix, controllerId, leaseMs) -> the lease value "<id>#<epoch>" when held (taken or renewed), or nil. */
export const LEASE_LUA = `
local pre = ARGV[1]
local cur = redis.call('GET', pre .. 'leader')
if cur then
  if string.sub(cur, 1, #ARGV[2] + 1) == ARGV[2] .. '#' then
    redis.call('PEXPIRE', pre .. 'leader', ARGV[3])
    return cur
  end
  return false
end
local epoch = redis.call('INCR', pre .. 'leader-epoch')
local v = ARGV[2] .. '#' .. epoch
redis.call('SET', pre .. 'leader', v, 'PX', ARGV[3])
return v
`;

/** release(prefix, leaseValue) -> 1 when this lease was held and is now released. */
export const RELEASE_LUA = `
if redis.call('GET', ARGV[1] .. 'leader') == ARGV[2] then return redis.call('DEL', ARGV[1] .. 'leader') end
return 0
`;
