import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempWorkspace, type TempWorkspace } from '@octo/core/testing';
import { DEMO_KEYS_DIR, writeSampleDrop } from '@octo/provider-example';
import { afterEach, describe, expect, it } from 'vitest';
import { OCTO_BIN } from '@octo/testing';
import { TmuxPane } from './tmux-pane.js';

const panes: TmuxPane[] = [];
const workspaces: TempWorkspace[] = [];
afterEach(async () => {
  await Promise.all(panes.splice(0).map((pane) => pane.close()));
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

const APP = fileURLToPath(new URL('..', import.meta.url));
const node = JSON.stringify(process.execPath);

describe('ProgressReporter (in a real terminal)', () => {
  it('should draw rclone-like totals and each file in flight with its own percent and rate, failures above, redrawn in place', async () => {
    const pane = await TmuxPane.start(`${node} --import tsx test/progress-driver.ts`, { columns: 100, rows: 30, cwd: APP });
    panes.push(pane);
    const screen = await pane.waitFor((text) => text.includes('DRIVER DONE'));
    expect(screen.split('\n')).toEqual([
      'FAILED in/small_20261101.csv.gpg [decrypt] in/small_20261101.csv.gpg: wrong passphrase',
      'Transferred:  200.0 MiB / 300.0 MiB, 66%, 1.0 MiB/s, ETA 1m 40s',
      'Files:        1 / 3, 33% (acme)',
      'Errors:       1',
      'Elapsed time: 1m',
      'Transferring:',
      ' *              in/big_20261101.csv.gpg:  75% /200.0 MiB, 2.5 MiB/s',
      'DRIVER DONE',
    ]);
  });

  it('when octo sync runs on a terminal, should end with one progress block at 100% and the summary, no line wrapped', async () => {
    const w = await createTempWorkspace({
      provider: 'example',
      bucket: 'example-bucket',
      providerConfig: { decryption: { passphrase: `file:${path.join(DEMO_KEYS_DIR, 'passphrase.txt')}`, privateKeys: [{ key: `file:${path.join(DEMO_KEYS_DIR, 'private.asc')}` }] } },
      config: { concurrency: undefined },
    });
    workspaces.push(w);
    const dir = w.dir;
    await writeSampleDrop(w.dropDir);
    const pane = await TmuxPane.start(`${node} ${JSON.stringify(OCTO_BIN)} sync example; echo "EXIT=$?"; sleep 600`, { columns: 72, rows: 100, cwd: dir });
    panes.push(pane);
    const screen = await pane.waitFor((text) => /EXIT=\d+/.test(text));
    expect(screen).toContain('EXIT=0');
    const lines = screen.split('\n');
    // Drawn in place: one block, whatever the number of redraws.
    const transferred = lines.filter((line) => line.startsWith('Transferred:'));
    expect(transferred, screen).toHaveLength(1);
    expect(transferred[0]).toMatch(/^Transferred: {2}12\.1 KiB \/ 12\.1 KiB, 100%, [\d.]+ (B|KiB|MiB)\/s, ETA 0s$/);
    expect(lines.filter((line) => line.startsWith('Files:'))).toEqual(['Files:        8 / 8, 100% (example)']);
    expect(lines).toContain('Errors:       0');
    expect(lines).not.toContain('Transferring:');
    expect(screen).toMatch(/example\s+succeeded\s+8\s+0\s+8/);
    // Tables fit the 72 columns of the terminal: the longest key wraps instead of running over.
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(72);
  });
});
