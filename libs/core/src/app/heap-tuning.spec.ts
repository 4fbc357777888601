import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT } from './heap-tuning.js';

const MODULE = fileURLToPath(new URL('./heap-tuning.ts', import.meta.url));

/** The growing factors V8 reports after one full collection in a fresh process (`--trace-gc-verbose`). */
function factorsAfterGc(tune: boolean): string[] {
  const script = `const m = await import(${JSON.stringify(MODULE)}); ${tune ? 'm.tuneHeapForStreaming();' : ''} globalThis.gc();`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', '--trace-gc-verbose', '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  return [...child.stdout.matchAll(/\[HeapController\] factor (\d+\.\d)/g)].map((match) => match[1] ?? '');
}

describe('tuneHeapForStreaming', () => {
  it('should make V8 size the heap with the fixed factor after a collection', () => {
    const factor = (1 + HEAP_GROWING_PERCENT / 100).toFixed(1);
    expect(factorsAfterGc(true).at(-1)).toBe(factor);
    // The control: left alone, V8 chose a factor of its own in the same process.
    expect(factorsAfterGc(false).at(-1)).not.toBe(factor);
  });
});
