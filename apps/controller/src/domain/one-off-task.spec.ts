// The one-off task of `tsstack run`: which running task lends its spec, and what the one-off changes.
import { TaskState, type ServiceSpec, type Task } from '@tsstack/model';
import { NoTemplateTaskError, oneOffTask, templateTask } from './one-off-task';

function task(id: string, over: Partial<Task> = {}): Task {
  return {
    id,
    stack: 'app',
    service: 'web',
    slot: 1,
    nodeId: 'n1',
    specVersion: 1,
    specHash: 'h1',
    // Only the fields the one-off touches matter here.
    spec: {
      image: 'busybox',
      command: ['httpd'],
      environment: { A: '1', B: '2' },
      ports: [{ target: 80, published: 8080, protocol: 'tcp', mode: 'ingress' }],
    } as unknown as ServiceSpec,
    desiredState: TaskState.Running,
    status: { state: TaskState.Running, message: '', health: 'none', timestamp: 1 },
    networks: [{ network: 'app_default', address: '10.0.0.5', aliases: ['web'] }],
    createdAt: 1,
    updatedAt: 1,
    ...over,
  };
}

describe('templateTask', () => {
  it('takes the running, wanted task with the newest spec version', () => {
    const tasks = [
      task('old', { specVersion: 1 }),
      task('new', { specVersion: 2 }),
      task('stopping', { specVersion: 3, desiredState: TaskState.Shutdown }),
      task('starting', { specVersion: 3, status: { state: TaskState.Starting, message: '', health: 'none', timestamp: 1 } }), // prettier-ignore
      task('other', { service: 'db', specVersion: 9 }),
    ];
    expect(templateTask(tasks, 'app', 'web').id).toBe('new');
  });

  it('says what to do when the service has no running task', () => {
    expect(() => templateTask([task('a')], 'app', 'db')).toThrow(NoTemplateTaskError);
    expect(() => templateTask([task('a')], 'app', 'db')).toThrow(/no running task of app_db.*tsstack up/);
  });
});

describe('oneOffTask', () => {
  const t = oneOffTask(
    task('a'),
    { stack: 'app', service: 'web', command: ['sh', '-c', 'exit 3'], environment: { B: 'x', C: 'y' } },
    'run-1',
    5,
  );

  it('replaces the command, adds the environment, publishes nothing and serves no endpoint', () => {
    expect(t.spec.command).toEqual(['sh', '-c', 'exit 3']);
    expect(t.spec.environment).toEqual({ A: '1', B: 'x', C: 'y' });
    expect(t.spec.ports).toEqual([]);
    expect(t.spec.healthcheck?.test).toEqual(['NONE']);
  });

  it('runs on the same node and networks, with addresses and aliases of its own', () => {
    expect(t).toMatchObject({ id: 'run-1', nodeId: 'n1', stack: 'app', service: 'web', createdAt: 5 });
    expect(t.slot).toBeUndefined();
    expect(t.networks).toEqual([{ network: 'app_default', address: '', aliases: [] }]);
  });

  it('refuses an empty command', () => {
    expect(() => oneOffTask(task('a'), { stack: 'app', service: 'web', command: [], environment: {} }, 'run-2', 1)).toThrow(/command/); // prettier-ignore
  });
});
