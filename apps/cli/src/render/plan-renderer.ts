// Pure renderer of a deploy plan: one line per service with its action symbol and reasons, then a count.
import type { ServicePlan } from '../client/api-types';

const SYMBOL: Record<ServicePlan['action'], string> = {
  create: '+',
  update: '~',
  remove: '-',
  unchanged: '=',
  orphaned: '!',
};

export function renderPlan(stack: string, plan: ServicePlan[]): string {
  const lines = [`Plan for stack ${stack}:`];
  const width = Math.max(0, ...plan.map((p) => p.service.length));
  for (const p of [...plan].sort((a, b) => a.service.localeCompare(b.service))) {
    const why = p.reasons.length ? `  (${p.reasons.join(', ')})` : '';
    lines.push(`  ${SYMBOL[p.action]} ${p.service.padEnd(width)}  ${p.action}${why}`);
  }
  const n = (a: ServicePlan['action']) => plan.filter((p) => p.action === a).length;
  const kept = n('orphaned') ? `, ${n('orphaned')} orphaned (kept)` : '';
  lines.push(
    `${n('create')} to create, ${n('update')} to update, ${n('remove')} to remove, ${n('unchanged')} unchanged${kept}.`,
  );
  return lines.join('\n') + '\n';
}

/** Compose's hint when `up` keeps services that left the files; undefined when there are none. */
export function orphanWarning(stack: string, plan: ServicePlan[]): string | undefined {
  const orphans = plan.filter((p) => p.action === 'orphaned').map((p) => p.service);
  if (orphans.length === 0) return undefined;
  return (
    `Found orphan services (${orphans.join(', ')}) in stack ${stack}: they are no longer in the stack files and ` +
    'keep running. If you removed or renamed them, run this command with --remove-orphans to remove them.\n'
  );
}
