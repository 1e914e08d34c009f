// Reconnect backoff: exponential with full jitter, capped. Pure given the random source.
export function reconnectDelay(
  attempt: number,
  baseMs = 250,
  capMs = 10_000,
  rnd: () => number = Math.random,
) {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (rnd() * ceiling) / 2);
}
