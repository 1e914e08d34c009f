// Redis key layout (all under one prefix, default "ts:"):
//   stack:<name>      hash {v, d}  stack record (JSON)          set stacks   (names)
//   svc:<stack>/<svc> hash {v, d}  service record (JSON)        set services (keys)
//   svcprog:<key>     string        rolling update progress (leader only)
//   task:<id>         hash {t, tv, s, st, n, h, stack, svc}: t = task without status (controller), tv = its write
//                     counter, s = status (agent), st = state number, n = node id, h = health   set tasks (ids)
//   node:<id>         hash {v, d}  node record                    set nodes (ids); hash node-hb {id: ms}
//   events            stream, capped (MAXLEN ~), field e = event JSON; the entry id is the cursor
//   leader            "<controller id>#<epoch>" with a TTL (the lease); leader-epoch counter (fencing token)
//   secret:token, secret:join   API bearer token and agent join token, shared by every controller
//   overlay           overlay networks' subnets, VNIs and addresses (JSON, leader only)
//   node-session      hash {node id: controller id} of the controller holding each agent's session
//   relay:<ctl id>    pub/sub channel of one controller: requests relayed to the agents it holds, answers
//   notify            pub/sub channel: something changed
export const DEFAULT_PREFIX = 'ts:';

export const keys = {
  stack: (name: string) => `stack:${name}`,
  service: (key: string) => `svc:${key}`,
  progress: (key: string) => `svcprog:${key}`,
  task: (id: string) => `task:${id}`,
  node: (id: string) => `node:${id}`,
  stacks: 'stacks',
  services: 'services',
  tasks: 'tasks',
  nodes: 'nodes',
  heartbeats: 'node-hb',
  events: 'events',
  leader: 'leader',
  leaderEpoch: 'leader-epoch',
  apiToken: 'secret:token',
  joinToken: 'secret:join',
  notify: 'notify',
  overlay: 'overlay',
  sessions: 'node-session',
  relay: (controllerId: string) => `relay:${controllerId}`,
};
