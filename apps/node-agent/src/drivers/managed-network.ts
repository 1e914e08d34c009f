// The agent's task network over libs/network: the assignment's networks and ingress ports are applied on
// every assignment set; each task gets its namespace, one interface per network it is on, its host-mode
// published ports and a resolv.conf pointing at the embedded DNS. The manager opens once this node's id is
// known (after the controller's welcome).
import type { AssignmentSet, Task } from '@tsstack/model';
import { NetworkInUseError, NetworkManager } from '@tsstack/network';
import type { TaskNetworkPort } from './native-runtime';

export interface ManagedNetwork extends TaskNetworkPort {
  /** Opens the manager for this node; until then every call waits. */
  open(nodeId: string, nodeAddress?: string): Promise<void>;
  close(): Promise<void>;
}

export function managedNetwork(
  stateDir: string,
  log?: (msg: string) => void,
  netnsDir?: string,
): ManagedNetwork {
  let resolveManager!: (m: NetworkManager) => void;
  let rejectManager!: (err: unknown) => void;
  const ready = new Promise<NetworkManager>((resolve, reject) => {
    resolveManager = resolve;
    rejectManager = reject;
  });
  ready.catch(() => undefined);
  let opened: NetworkManager | undefined;
  let myNodeId: string | undefined;
  // A local task serves when the controller lets it (it drains tasks it is about to stop) and its own health
  // check passes (the agent knows first); both are tracked and the conjunction applied.
  const controllerServing = new Map<string, boolean>();
  const healthServing = new Map<string, boolean>();
  const applied = new Map<string, boolean>();
  const appliedNetworks = new Map<string, string>();
  let appliedIngress: string | undefined;
  const applyServing = async (net: NetworkManager, taskId: string): Promise<void> => {
    const want = (controllerServing.get(taskId) ?? true) && (healthServing.get(taskId) ?? true);
    if (applied.get(taskId) === want) return;
    applied.set(taskId, want);
    await net.setServing(taskId, want);
  };

  return {
    async open(nodeId, nodeAddress) {
      if (opened) return;
      myNodeId = nodeId;
      try {
        opened = await NetworkManager.open({ stateDir, nodeId, nodeAddress, netnsDir });
        resolveManager(opened);
      } catch (err) {
        rejectManager(err);
        throw err;
      }
    },

    async sync(set: AssignmentSet) {
      const net = await ready;
      for (const a of set.networks) {
        // The manager runs one change at a time, so a task's start must not wait behind other tasks'
        // detaches for a network it does not need changed: unchanged assignments are skipped, and changes to
        // a network that exists (endpoints of other tasks, peers, VIPs) are applied beside the reconcile, in
        // order. Only a network that does not exist yet is waited for: the tasks attach to it.
        const key = JSON.stringify(a);
        const exists = net.networks().some((n) => n.id === a.id);
        if (appliedNetworks.get(a.id) !== key || !exists) {
          appliedNetworks.set(a.id, key);
          const applying = net.applyAssignment(a).catch((err: unknown) => {
            appliedNetworks.delete(a.id);
            throw err;
          });
          if (!exists) await applying;
          else applying.catch((err: Error) => log?.(`network ${a.id}: ${err.message}`));
        }
        for (const ep of a.endpoints)
          if (ep.nodeId === myNodeId) controllerServing.set(ep.taskId, ep.serving);
      }
      // Applied beside the reconcile (the manager keeps them in order and serves a batch with one firewall
      // run): tasks starting now must not wait for other tasks leaving their VIPs.
      for (const taskId of controllerServing.keys())
        if (applied.has(taskId))
          applyServing(net, taskId).catch((err: Error) => log?.(`task ${taskId} serving: ${err.message}`));
      const ingressKey = JSON.stringify(set.ingress);
      if (ingressKey !== appliedIngress) {
        await net.setIngress(set.ingress);
        appliedIngress = ingressKey;
      }
      const wanted = new Set(set.networks.map((n) => n.id));
      // A network whose last task is still being removed goes on a later set, once it is detached.
      for (const n of net.networks())
        if (!wanted.has(n.id)) {
          appliedNetworks.delete(n.id);
          await net.removeNetwork(n.id).catch((err: Error) => {
            if (!(err instanceof NetworkInUseError)) log?.(`network ${n.id}: ${err.message}`);
          });
        }
    },

    async attach(task: Task) {
      const net = await ready;
      const netnsPath = await net.createTaskNetns(task.id);
      healthServing.set(task.id, !task.spec.healthcheck);
      applied.set(task.id, !task.spec.healthcheck && (controllerServing.get(task.id) ?? true));
      let resolvConfPath: string | undefined;
      for (const n of task.networks) {
        const r = await net.attachTask({
          taskId: task.id,
          netnsPath,
          networkId: n.network,
          address: n.address || undefined,
          aliases: n.aliases,
          service: task.service,
          stack: task.stack,
          taskName: `${task.stack}_${task.service}.${task.slot ?? task.nodeId ?? task.id}`,
          serving: applied.get(task.id),
          deferRules: true,
        });
        resolvConfPath ??= r.resolvConfPath;
      }
      const hostPorts = task.spec.ports
        .filter((p) => p.mode === 'host' && p.published)
        .map((p) => ({ protocol: p.protocol, published: p.published!, target: p.target, hostIp: p.hostIp }));
      if (hostPorts.length) await net.publishPorts(task.id, hostPorts);
      return { netnsPath, resolvConfPath, rulesApplied: () => net.rulesApplied() };
    },

    async setServing(taskId, serving) {
      healthServing.set(taskId, serving);
      await applyServing(await ready, taskId);
    },

    async detach(taskId) {
      controllerServing.delete(taskId);
      healthServing.delete(taskId);
      applied.delete(taskId);
      await (await ready).removeTaskNetns(taskId);
    },

    async close() {
      await opened?.close();
    },
  };
}
