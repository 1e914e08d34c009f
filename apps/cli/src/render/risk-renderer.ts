// Pure renderer of the settings that weaken a service's isolation (libs/planner reviewStack): one warning per
// service, one line per setting with the reason, printed on stderr by `plan` and `up`.
import type { ServiceRisks } from '@tsstack/planner';

export function renderRiskWarnings(review: ServiceRisks[]): string {
  if (!review.length) return '';
  const lines: string[] = [];
  for (const { service, risks } of review) {
    lines.push(`warning: service ${service} weakens its isolation from the host:`);
    for (const r of risks) lines.push(`  ${r.setting} — ${r.reason}`);
  }
  lines.push('(a controller started with --policy strict refuses these settings)');
  return lines.join('\n') + '\n';
}
