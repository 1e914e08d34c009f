// Mount plan: named volumes shared per stack, anonymous per task, binds, tmpfs, configs and secrets.
import type { Task, ServiceSpec } from '@tsstack/model';
import { planTaskMounts } from './mount-plan';

const dirs = { volumesDir: '/s/volumes', configsDir: '/s/configs', secretsDir: '/s/secrets' };
const ref = (source: string, target = '', mode = 0) => ({ source, target, uid: '0', gid: '0', mode });

function task(spec: Partial<ServiceSpec>): Task {
  return {
    id: 't9',
    stack: 'shop',
    spec: { volumes: [], configs: [], secrets: [], ...spec } as ServiceSpec,
  } as Task;
}

describe('planTaskMounts', () => {
  it('maps volumes, binds and tmpfs', () => {
    const plan = planTaskMounts(
      task({
        volumes: [
          { type: 'volume', source: 'db', target: '/data', readOnly: false },
          { type: 'volume', target: '/cache', readOnly: false },
          { type: 'bind', source: '/etc/hosts', target: '/h', readOnly: true, createHostPath: false },
          { type: 'tmpfs', target: '/tmp', readOnly: false, sizeBytes: 1024 },
        ],
      }),
      dirs,
    );
    expect(plan).toEqual([
      {
        kind: 'bind',
        source: '/s/volumes/shop_db',
        target: '/data',
        readOnly: false,
        createSource: true,
        owned: 'volume',
        volume: 'shop_db',
      },
      {
        kind: 'bind',
        source: '/s/volumes/anon_t9_1',
        target: '/cache',
        readOnly: false,
        createSource: true,
        owned: 'volume',
      },
      { kind: 'bind', source: '/etc/hosts', target: '/h', readOnly: true, createSource: false },
      { kind: 'tmpfs', target: '/tmp', readOnly: false, sizeBytes: 1024, mode: undefined },
    ]);
  });
  it('puts secrets under /run/secrets from the tmpfs and configs with their mode', () => {
    const plan = planTaskMounts(
      task({ configs: [ref('nginx', '/etc/nginx.conf', 0o440)], secrets: [ref('pw'), ref('k', 'key')] }),
      dirs,
    );
    expect(plan).toEqual([
      {
        kind: 'file',
        object: 'config',
        name: 'shop_nginx',
        source: '/s/configs/t9/nginx',
        target: '/etc/nginx.conf',
        mode: 0o440,
      },
      {
        kind: 'file',
        object: 'secret',
        name: 'shop_pw',
        source: '/s/secrets/t9/pw',
        target: '/run/secrets/pw',
        mode: 0o444,
      },
      {
        kind: 'file',
        object: 'secret',
        name: 'shop_k',
        source: '/s/secrets/t9/k',
        target: '/run/secrets/key',
        mode: 0o444,
      },
    ]);
  });
});
