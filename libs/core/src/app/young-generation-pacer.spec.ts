import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PACER_THRESHOLD_BYTES, YoungGenerationPacer, type PacerProbe } from './young-generation-pacer.js';

const MiB = 1024 * 1024;

/** A probe whose external bytes a spec sets; a collection leaves what `freed` says. */
function probe(start: number, freed = (bytes: number) => bytes) {
  const state = { bytes: start, collections: 0 };
  const p: PacerProbe = {
    externalBytes: () => state.bytes,
    collectYoung: () => {
      state.collections += 1;
      state.bytes = freed(state.bytes);
    },
  };
  return { state, p };
}

describe(YoungGenerationPacer, () => {
  it('should collect once external memory grew by the threshold, and not below it', () => {
    const { state, p } = probe(10 * MiB, () => 10 * MiB);
    const pacer = new YoungGenerationPacer(p);
    state.bytes = 10 * MiB + PACER_THRESHOLD_BYTES - 1;
    expect(pacer.tick()).toBe(false);
    state.bytes = 10 * MiB + PACER_THRESHOLD_BYTES;
    expect(pacer.tick()).toBe(true);
    expect(state).toEqual({ bytes: 10 * MiB, collections: 1 });
  });

  it('should measure growth from what is left after its collection, live Buffers included', () => {
    // 20 MiB stay live after the first collection: the next one waits for 20 + threshold.
    const { state, p } = probe(0, () => 20 * MiB);
    const pacer = new YoungGenerationPacer(p);
    state.bytes = 30 * MiB;
    expect(pacer.tick()).toBe(true);
    state.bytes = 20 * MiB + PACER_THRESHOLD_BYTES - 1;
    expect(pacer.tick()).toBe(false);
    state.bytes = 20 * MiB + PACER_THRESHOLD_BYTES;
    expect(pacer.tick()).toBe(true);
    expect(state.collections).toBe(2);
  });

  it('should follow the bytes down when V8 freed them itself, and collect nothing while idle', () => {
    const { state, p } = probe(40 * MiB);
    const pacer = new YoungGenerationPacer(p);
    state.bytes = 5 * MiB;
    expect(pacer.tick()).toBe(false);
    state.bytes = 5 * MiB + PACER_THRESHOLD_BYTES;
    expect(pacer.tick()).toBe(true);
    for (let i = 0; i < 100; i += 1) expect(pacer.tick()).toBe(false);
    expect(state.collections).toBe(1);
  });
});

const MODULE = fileURLToPath(new URL('./young-generation-pacer.ts', import.meta.url));

/**
 * Mark-compacts V8 runs while a process streams 512 MiB through short-lived 256 KiB Buffers,
 * a chunk per millisecond as a pipeline's stages pass them on (`--trace-gc`).
 */
function markCompactsWhileStreaming(paced: boolean): number {
  const script = [
    `const { startYoungGenerationPacer } = await import(${JSON.stringify(MODULE)});`,
    paced ? 'startYoungGenerationPacer();' : '',
    "const { setTimeout } = await import('node:timers/promises');",
    'let sum = 0;',
    'for (let i = 0; i < 2048; i += 1) { const b = Buffer.allocUnsafe(256 * 1024); b[0] = i; sum += b[0]; if (i % 4 === 3) await setTimeout(1); }',
    "if (typeof globalThis.gc !== 'undefined') throw new Error('gc is exposed');",
  ].join('\n');
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--trace-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  return [...child.stdout.matchAll(/Mark-Compact/g)].length;
}

describe('startYoungGenerationPacer', () => {
  it('should free a stream of dead Buffers with scavenges, so V8 starts (almost) no mark-compact for them', () => {
    const unpaced = markCompactsWhileStreaming(false);
    const paced = markCompactsWhileStreaming(true);
    // The control: left alone, V8 marks the whole heap every 64 MiB of Buffers.
    expect(unpaced).toBeGreaterThanOrEqual(4);
    expect(paced).toBeLessThanOrEqual(Math.floor(unpaced / 4));
  });
});
