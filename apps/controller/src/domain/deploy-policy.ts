// What a controller lets a deploy or a service update through: `compose` (default) everything Compose
// accepts; `strict` nothing libs/planner's riskySettings names. One check for every path that writes a
// service spec (stack deploy and plan, service update).
import { PolicyRefusedError, type StackSpec } from '@tsstack/model';
import { reviewStack } from '@tsstack/planner';

export interface DeployPolicyOptions {
  policy: 'compose' | 'strict';
  /** Host paths that count as tsstack's own (the controller's data dir). */
  protectedPaths: string[];
}

export const COMPOSE_POLICY: DeployPolicyOptions = { policy: 'compose', protectedPaths: [] };

/** Throws PolicyRefusedError with one issue per risky setting of `stack`'s services under `strict`. */
export function admitStack(p: DeployPolicyOptions, stack: StackSpec): void {
  if (p.policy !== 'strict') return;
  const issues = reviewStack(stack, p.protectedPaths).flatMap(({ service, risks }) =>
    risks.map((r) => ({
      file: '<controller policy strict>',
      path: `services.${service}.${r.field}`,
      message: `${r.setting} is refused by this controller's strict policy: ${r.reason}`,
    })),
  );
  if (issues.length) throw new PolicyRefusedError(issues);
}
