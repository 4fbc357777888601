import { describe, expect, it } from 'vitest';
import { syncAll } from './sync-all.js';

describe(syncAll, () => {
  describe('when several providers are named', () => {
    it('should run them at once, never more than atOnce, and keep the order they were named in', async () => {
      const log: string[] = [];
      let running = 0;
      let most = 0;
      const took = { a: 40, b: 5, c: 5, d: 5, e: 5 } as const;
      const results = await syncAll(Object.keys(took), 2, async (name) => {
        log.push(`start ${name}`);
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, took[name as keyof typeof took]));
        running -= 1;
        log.push(`end ${name}`);
        return `${name}-done`;
      });
      expect(results).toEqual(['a-done', 'b-done', 'c-done', 'd-done', 'e-done']);
      expect(most).toBe(2);
      // The slow first provider does not hold the others back: they all end while it runs.
      expect(log.slice(0, 2)).toEqual(['start a', 'start b']);
      expect(log.at(-1)).toBe('end a');
    });

    it('should run one at a time when atOnce is 1', async () => {
      let running = 0;
      let most = 0;
      await syncAll(['a', 'b', 'c'], 1, async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
      });
      expect(most).toBe(1);
    });
  });
});
