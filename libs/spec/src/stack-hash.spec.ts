// Unit tests: the canonical service hash over loaded stacks — a redeploy of the same files (any key order,
// any list-or-map spelling) changes no hash, and an edit changes only the edited service's hash.
import { serviceSpecHash } from './spec-hash';
import { stackOf } from './spec-test-helpers';

const A = `
services:
  web: {image: nginx, environment: {A: "1", B: "2"}, ports: ["80:80"], deploy: {replicas: 2}}
  db: {image: postgres, healthcheck: {test: pg_isready, interval: 5s}}
`;
const A_REORDERED = `
services:
  db:
    healthcheck: {interval: 5000ms, test: ["CMD-SHELL", "pg_isready"]}
    image: postgres
  web:
    deploy: {replicas: 2}
    ports: [{target: 80, published: 80}]
    environment: [B=2, A=1]
    image: nginx
`;

function hashes(stack: Awaited<ReturnType<typeof stackOf>>): Record<string, string> {
  return Object.fromEntries(Object.entries(stack.services).map(([n, s]) => [n, serviceSpecHash(s)]));
}

describe('service hashes of loaded stacks', () => {
  it('are equal for the same stack written differently', async () => {
    expect(hashes(await stackOf(A_REORDERED))).toEqual(hashes(await stackOf(A)));
  });

  it('change only for the edited service', async () => {
    const before = hashes(await stackOf(A));
    const after = hashes(await stackOf(A.replace('image: postgres', 'image: postgres:16')));
    expect(after.web).toBe(before.web);
    expect(after.db).not.toBe(before.db);
  });

  it('ignore a replica change (a scale is not an update)', async () => {
    const before = hashes(await stackOf(A));
    const after = hashes(await stackOf(A.replace('replicas: 2', 'replicas: 5')));
    expect(after).toEqual(before);
  });
});
