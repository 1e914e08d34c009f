import { orphanWarning, renderPlan } from './plan-renderer';
import { renderRiskWarnings } from './risk-renderer';
import { atGoal, progressFromTasks } from './progress-from-tasks';
import type { TaskRow } from '../client/api-types';
import { renderPs, renderTable } from './table-renderer';
import { ProgressRenderer, progressLine, renderSummary } from './progress-renderer';

describe('renderPlan', () => {
  it('shows each service with its action, reasons and a count', () => {
    const out = renderPlan('shop', [
      { service: 'web', action: 'update', reasons: ['image changed', 'replicas 2->5'] },
      { service: 'db', action: 'unchanged', reasons: [] },
      { service: 'old', action: 'remove', reasons: ['not in stack file'] },
      { service: 'api', action: 'create', reasons: [] },
    ]);
    expect(out.split('\n')).toEqual([
      'Plan for stack shop:',
      '  + api  create',
      '  = db   unchanged',
      '  - old  remove  (not in stack file)',
      '  ~ web  update  (image changed, replicas 2->5)',
      '1 to create, 1 to update, 1 to remove, 1 unchanged.',
      '',
    ]);
  });
  it('counts kept orphans and warns about them as compose does', () => {
    const plan = [
      { service: 'db', action: 'unchanged' as const, reasons: [] },
      { service: 'old', action: 'orphaned' as const, reasons: ['not in stack file: kept'] },
    ];
    expect(renderPlan('shop', plan).split('\n')).toEqual([
      'Plan for stack shop:',
      '  = db   unchanged',
      '  ! old  orphaned  (not in stack file: kept)',
      '0 to create, 0 to update, 0 to remove, 1 unchanged, 1 orphaned (kept).',
      '',
    ]);
    expect(orphanWarning('shop', plan)).toMatch(
      /^Found orphan services \(old\) in stack shop: .*--remove-orphans/,
    );
    expect(orphanWarning('shop', plan.slice(0, 1))).toBeUndefined();
  });
});

describe('renderTable / renderPs', () => {
  it('aligns columns and prints - for missing cells', () => {
    expect(
      renderTable(
        ['A', 'LONGER'],
        [
          ['xyz', undefined],
          ['q', 7],
        ],
      ),
    ).toBe('A    LONGER\nxyz  -\nq    7\n');
  });
  it('sorts tasks by service then slot and shortens ids', () => {
    const out = renderPs([
      { service: 'web', task: 'aaaaaaaaaaaaaaaa', slot: 2, state: 'running', desiredState: 'running' },
      {
        service: 'web',
        task: 'bbbbbbbbbbbbbbbb',
        slot: 1,
        state: 'failed',
        desiredState: 'shutdown',
        exitCode: 3,
        error: 'boom',
      },
      {
        service: 'api',
        task: 'cccc',
        slot: 1,
        node: 'n1',
        state: 'running',
        desiredState: 'running',
        containerId: '0123456789abcdef',
      },
    ]);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^SERVICE\s+TASK\s+SLOT\s+NODE\s+STATE/);
    expect(lines[1]).toMatch(/^api\s+cccc\s+1\s+n1\s+running\s+running\s+0123456789ab\s+-\s+-$/);
    expect(lines[2]).toMatch(/^web\s+bbbbbbbbbbbb\s+1\s+-\s+failed\s+shutdown\s+-\s+3\s+boom$/);
    expect(lines[3]).toMatch(/^web\s+aaaaaaaaaaaa\s+2/);
  });
});

describe('progress', () => {
  it('formats phases', () => {
    expect(progressLine({ service: 'web', phase: 'pulling', percent: 42.6 })).toBe('web: pulling 43%');
    expect(progressLine({ service: 'web', phase: 'starting', ready: 2, desired: 5 })).toBe(
      'web: starting 2/5',
    );
    expect(progressLine({ service: 'web', phase: 'healthy', ready: 5, desired: 5 })).toBe('web: healthy 5/5');
    expect(progressLine({ service: 'web', phase: 'failed', message: 'exit 1' })).toBe('web: failed: exit 1');
  });
  it('prints only changed lines when not a TTY', () => {
    const r = new ProgressRenderer(false);
    expect(r.update({ service: 'web', phase: 'starting', ready: 0, desired: 2 })).toBe('web: starting 0/2\n');
    expect(r.update({ service: 'web', phase: 'starting', ready: 0, desired: 2 })).toBe('');
    expect(r.update({ service: 'db', phase: 'healthy', ready: 1, desired: 1 })).toBe('db: healthy 1/1\n');
  });
  it('redraws the whole block in place on a TTY', () => {
    const r = new ProgressRenderer(true);
    expect(r.update({ service: 'web', phase: 'pulling', percent: 10 })).toBe('\r\x1b[2Kweb: pulling 10%\n');
    const second = r.update({ service: 'db', phase: 'starting', ready: 0, desired: 1 });
    expect(second).toBe('\x1b[1A\r\x1b[2Kdb: starting 0/1\n\r\x1b[2Kweb: pulling 10%\n');
    expect(r.update({ service: 'web', phase: 'healthy', ready: 2, desired: 2 }).startsWith('\x1b[2A')).toBe(
      true,
    );
  });
  it('summarizes success and failure', () => {
    expect(renderSummary([{ service: 'a', phase: 'healthy' }], 1500)).toBe(
      '1 services reached their goal in 1.5s\n',
    );
    expect(
      renderSummary(
        [
          { service: 'a', phase: 'failed', message: 'exit code 3' },
          { service: 'b', phase: 'running' },
        ],
        2000,
      ),
    ).toBe('1 of 2 services failed after 2.0s: a (exit code 3)\n');
  });
  it('says which services did not reach their goal in time', () => {
    expect(
      renderSummary(
        [
          { service: 'a', phase: 'starting', ready: 1, desired: 3 },
          { service: 'b', phase: 'running' },
        ],
        60_000,
      ),
    ).toBe('1 of 2 services did not reach their goal in 60.0s: a 1/3\n');
  });
});

describe('progressFromTasks', () => {
  const t = (service: string, state: string, extra: Partial<TaskRow> = {}): TaskRow => ({
    service,
    task: `${service}-${state}`,
    state,
    desiredState: 'running',
    ...extra,
  });
  it('counts running tasks against the wanted replicas', () => {
    const p = progressFromTasks({ web: 2, db: 1 }, [
      t('web', 'running'),
      t('web', 'starting'),
      t('db', 'running'),
    ]);
    expect(p).toEqual([
      { service: 'db', phase: 'running', ready: 1, desired: 1 },
      { service: 'web', phase: 'starting', ready: 1, desired: 2 },
    ]);
    expect(atGoal(p)).toBe(false);
    expect(atGoal(progressFromTasks({ web: 1 }, [t('web', 'running')]))).toBe(true);
  });
  it('reports a failed task with its error and ignores tasks being shut down', () => {
    const p = progressFromTasks({ web: 1 }, [
      t('web', 'failed', { error: 'exec: no such file' }),
      t('web', 'running', { desiredState: 'shutdown' }),
    ]);
    expect(p).toEqual([{ service: 'web', phase: 'failed', message: 'exec: no such file' }]);
  });
  it('a health-checked task counts once healthy, not while its health is starting', () => {
    const p = progressFromTasks({ web: 2 }, [
      t('web', 'running', { health: 'healthy' }),
      t('web', 'running', { health: 'starting' }),
    ]);
    expect(p).toEqual([{ service: 'web', phase: 'starting', ready: 1, desired: 2 }]);
  });
  it("during an update only tasks of the service's current spec version count; a paused update fails", () => {
    const goals = [{ service: 'hello_web', specVersion: 2, updateState: 'updating' }];
    const tasks = [
      t('hello_web', 'running', { specVersion: 1 }),
      t('hello_web', 'running', { specVersion: 2 }),
    ];
    expect(progressFromTasks({ web: 2 }, tasks, 'hello', goals)).toEqual([
      { service: 'web', phase: 'starting', ready: 1, desired: 2 },
    ]);
    const paused = [{ service: 'hello_web', specVersion: 2, updateState: 'paused' }];
    expect(progressFromTasks({ web: 2 }, tasks, 'hello', paused)[0]!.phase).toBe('failed');
  });
  it('matches task rows named <stack>_<service>, as the controller lists them', () => {
    const p = progressFromTasks({ web: 2 }, [t('hello_web', 'running'), t('hello_web', 'running')], 'hello');
    expect(p).toEqual([{ service: 'web', phase: 'running', ready: 2, desired: 2 }]);
  });
});

describe('renderRiskWarnings', () => {
  it('warns once per service, one line per setting with its reason, and names the strict policy', () => {
    const out = renderRiskWarnings([
      {
        service: 'admin',
        risks: [
          { field: 'privileged', setting: 'privileged: true', reason: 'root on the host' },
          { field: 'volumes[0]', setting: '/etc:/host-etc', reason: 'host configuration' },
        ],
      },
      { service: 'agent', risks: [{ field: 'pid', setting: 'pid: host', reason: 'every process' }] },
    ]);
    expect(out.split('\n')).toEqual([
      'warning: service admin weakens its isolation from the host:',
      '  privileged: true — root on the host',
      '  /etc:/host-etc — host configuration',
      'warning: service agent weakens its isolation from the host:',
      '  pid: host — every process',
      '(a controller started with --policy strict refuses these settings)',
      '',
    ]);
    expect(renderRiskWarnings([])).toBe('');
  });
});
