// Unit tests of the pure replicated slot planner (deploy, scale up/down, failed tasks, duplicates).
import { planReplicatedSlots, type SlotTask } from '../index';

const t = (id: string, slot: number, live = true, createdAt = 0): SlotTask => ({ id, slot, live, createdAt });

describe('planReplicatedSlots', () => {
  it.each([
    ['fresh deploy', [], 3, [1, 2, 3], []],
    ['steady', [t('a', 1), t('b', 2)], 2, [], []],
    ['scale up', [t('a', 1)], 3, [2, 3], []],
    ['scale down', [t('a', 1), t('b', 2), t('c', 3)], 1, [], ['b', 'c']],
    ['failed task replaced', [t('a', 1, false), t('b', 2)], 2, [1], []],
    ['duplicate keeps newest', [t('old', 1, true, 1), t('new', 1, true, 2)], 1, [], ['old']],
    ['scale to zero', [t('a', 1), t('b', 2)], 0, [], ['a', 'b']],
  ] as const)('%s', (_n, tasks, replicas, create, stop) => {
    expect(planReplicatedSlots([...tasks], replicas)).toEqual({
      createSlots: [...create],
      stopTaskIds: [...stop],
    });
  });
  it('converges: applying the plan yields exactly one live task per slot', () => {
    for (let before = 0; before <= 12; before++) {
      for (let want = 0; want <= 12; want++) {
        const tasks = Array.from({ length: before }, (_, i) => t(`t${i}`, (i % 7) + 1, i % 3 !== 0, i));
        const p = planReplicatedSlots(tasks, want);
        const after = tasks
          .filter((x) => x.live && !p.stopTaskIds.includes(x.id))
          .map((x) => x.slot)
          .concat(p.createSlots)
          .sort((a, b) => a - b);
        expect(after).toEqual(Array.from({ length: want }, (_, i) => i + 1));
      }
    }
  });
});
