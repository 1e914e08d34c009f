// The rig of the agent integration suites: a real controller (embedded redis-server) and a real agent with the
// native runtime in a temporary dir, the busybox image in the agent's store, a network port that only makes
// each task's namespace (loopback), and a teardown that stops the agent, runs its cleanup and unmounts the
// namespace dir even when a test failed.
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { StackSpec } from '@tsstack/model';
import { ImageStore } from '@tsstack/image';
import { createTaskNetns, removeTaskNetns } from '@tsstack/network';
import {
  cleanupAgent,
  startAgent,
  type AgentHandle,
  type AgentOptions,
  type TaskNetworkPort,
} from '@tsstack/node-agent';
import { loadStack } from '@tsstack/spec';
import { busyboxImage, BUSYBOX_REFERENCE, requireCommand, requireRoot } from '@tsstack/testkit';
import { ctl, tempDir, type Ctl } from '../controller/controller-kit';

function loopbackOnlyNetwork(netnsDir: string): TaskNetworkPort {
  return {
    attach: async (task) => ({ netnsPath: await createTaskNetns(task.id, netnsDir) }),
    setServing: async () => undefined,
    detach: (taskId) => removeTaskNetns(taskId, netnsDir),
  };
}

export interface AgentRig {
  dir: string;
  /** Where the task network namespaces are bind-mounted. */
  netnsDir: string;
  c: Ctl;
  agent?: AgentHandle;
  /** Starts the agent (again, after `agent.close()`) on the rig's state dir. */
  start(): Promise<AgentHandle>;
  /** Loads `yaml` as stack `name` and deploys it through the REST API. */
  deploy(name: string, yaml: string): Promise<StackSpec>;
  close(): Promise<void>;
}

/** `name` names the temp dir and the cgroup parent; `agent` adds or overrides agent options. */
export async function startAgentRig(name: string, agent: Partial<AgentOptions> = {}): Promise<AgentRig> {
  requireRoot();
  requireCommand('redis-server', 'redis-server');
  const dir = await tempDir(`tsstack-${name}-`);
  const netnsDir = path.join('/run', path.basename(dir) + '-netns');
  const images = path.join(dir, 'images');
  let c: Ctl;
  try {
    await new ImageStore({ root: images }).importOciLayout((await busyboxImage()).ociLayout, BUSYBOX_REFERENCE); // prettier-ignore
    c = await ctl(dir, { stoppingGraceMs: 1500 });
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
  const rig: AgentRig = {
    dir,
    netnsDir,
    c,
    async start() {
      rig.agent = await startAgent({
        controllerUrl: c.url,
        joinToken: c.joinToken,
        stateDir: path.join(dir, 'agent'),
        name: 'host-1',
        imageRoot: images,
        cgroupParent: `/tsstack-${name}-test`,
        network: loopbackOnlyNetwork(netnsDir),
        log: process.env.TSSTACK_TEST_LOG ? (m) => console.error(m) : undefined,
        ...agent,
      });
      return rig.agent;
    },
    async deploy(stack, yaml) {
      const file = path.join(dir, `${stack}.yml`);
      await fs.writeFile(file, yaml);
      const spec = await loadStack({ files: [file], projectName: stack });
      const res = await c.api('PUT', `/v1/stacks/${stack}`, { stack: spec });
      if (res.status !== 200)
        throw new Error(`deploy ${stack}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      return spec;
    },
    async close() {
      try {
        await rig.agent?.close();
        await cleanupAgent(path.join(dir, 'agent'), undefined, images);
      } finally {
        // The namespace dir and every task namespace bind-mounted in it.
        spawnSync('umount', ['-R', netnsDir]);
        await fs.rm(netnsDir, { recursive: true, force: true }).catch(() => undefined);
        await c.close();
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  };
  return rig;
}
