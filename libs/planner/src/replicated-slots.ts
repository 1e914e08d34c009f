// Pure replicated-mode orchestration: which slots (1..replicas) need a new task and which live tasks must
// stop (slots above the replica count, or duplicates in a slot, keeping the newest).
export interface SlotTask {
  id: string;
  slot: number;
  /** Not yet in a terminal state. */
  live: boolean;
  createdAt: number;
}

export interface SlotPlan {
  createSlots: number[];
  stopTaskIds: string[];
}

export function planReplicatedSlots(tasks: SlotTask[], replicas: number): SlotPlan {
  const live = tasks
    .filter((t) => t.live)
    .sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
  const kept = new Set<number>();
  const stopTaskIds: string[] = [];
  for (const t of live) {
    if (t.slot > replicas || kept.has(t.slot)) stopTaskIds.push(t.id);
    else kept.add(t.slot);
  }
  const createSlots: number[] = [];
  for (let s = 1; s <= replicas; s++) if (!kept.has(s)) createSlots.push(s);
  return { createSlots, stopTaskIds: stopTaskIds.sort() };
}
