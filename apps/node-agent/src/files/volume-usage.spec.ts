import { TaskState, type Task } from '@tsstack/model';
import { planTaskMounts } from './mount-plan';
import { VOLUMES_LABEL, volumeUsers, volumesLabel } from './volume-usage';

function task(id: string, volumes: Task['spec']['volumes']): Task {
  const spec = { volumes, configs: [], secrets: [] } as unknown as Task['spec'];
  const status = { state: TaskState.Running, message: '', health: 'none' as const, timestamp: 0 };
  return { id, stack: 'app', service: 'db', specVersion: 1, specHash: 'h', spec, desiredState: TaskState.Running, status, networks: [], createdAt: 0, updatedAt: 0 }; // prettier-ignore
}
const dirs = { volumesDir: '/v', configsDir: '/c', secretsDir: '/s' };

describe('volume usage', () => {
  const t1 = task('t1', [
    { type: 'volume', source: 'data', target: '/data', readOnly: false },
    { type: 'volume', target: '/scratch', readOnly: false },
    { type: 'bind', source: '/etc', target: '/host-etc', readOnly: true, createHostPath: false },
  ]);

  it('labels a container with its named volumes only (not anonymous ones or binds)', () => {
    expect(volumesLabel(planTaskMounts(t1, dirs))).toBe('app_data');
  });

  it('reads users from the label, running or stopped, and from the task spec for unlabelled containers', () => {
    const users = volumeUsers(
      [
        {
          id: 'c1',
          running: false,
          labels: { 'io.tsstack.task.id': 'x1', [VOLUMES_LABEL]: 'app_data,app_logs' },
        },
        { id: 'c2', running: true, labels: { 'io.tsstack.task.id': 't1' } },
        { id: 'c3', running: true, labels: { 'io.tsstack.task.id': 'x3', [VOLUMES_LABEL]: '' } },
      ],
      [t1],
    );
    expect(Object.fromEntries(users)).toEqual({ app_data: ['x1', 't1'], app_logs: ['x1'] });
  });
});
