/** Rejects with `message` when `promise` has not settled within `ms`; the timer never outlives it. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The wait before retry `attempt` (0-based): doubling from `baseMs` up to 10 s, with jitter over its upper half. */
export function backoffMs(baseMs: number, attempt: number): number {
  const delay = Math.min(10_000, baseMs * 2 ** attempt);
  return Math.round(delay / 2 + Math.random() * (delay / 2));
}
