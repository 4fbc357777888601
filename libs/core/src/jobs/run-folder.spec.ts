import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listFiles } from '../testing/files.js';
import { parseRunFolderName, RunFolder, runFolderName, sweepRunFolders } from './run-folder.js';

const MODULE = fileURLToPath(new URL('./run-folder.ts', import.meta.url));
let parent: string;

beforeEach(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'octo-runs-'));
});
afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

describe(RunFolder, () => {
  it('should name its folder after host, pid and run, and read the owner back', () => {
    const name = runFolderName({ host: 'worker-1.example', pid: 4242, runId: '0b7e6f1c-2a1d-4c5e-9f00-1234567890ab' });
    expect(name).toBe('worker-1.example--4242--0b7e6f1c-2a1d-4c5e-9f00-1234567890ab');
    expect(parseRunFolderName(name)).toEqual({ host: 'worker-1.example', pid: 4242, runId: '0b7e6f1c-2a1d-4c5e-9f00-1234567890ab' });
    expect(parseRunFolderName('zip-abc123')).toBeUndefined();
  });

  it('should remove a scratch folder and then the emptied run folder on release', async () => {
    const run = new RunFolder(parent, 'run-1');
    const a = await run.scratch('zip-');
    const b = await run.scratch('zip-');
    await writeFile(path.join(a.dir, 'archive.zip'), 'spooled');
    await a.release();
    expect(await readdir(run.path)).toEqual([path.basename(b.dir)]);
    await b.release();
    expect(await readdir(parent)).toEqual([]);
  });

  it('should remove its scratch folders when the process exits without releasing them (a signal handler calling exit)', async () => {
    const script = path.join(parent, 'exit.mts');
    await writeFile(
      script,
      `import { RunFolder } from ${JSON.stringify(MODULE)};\nimport { writeFileSync } from 'node:fs';\nconst s = await new RunFolder(${JSON.stringify(parent)}, 'run-exit').scratch('zip-');\nwriteFileSync(s.dir + '/archive.zip', 'plaintext');\nprocess.exit(130);\n`,
    );
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../../', import.meta.url)) });
    expect(child.status).toBe(130);
    expect((await listFiles(parent)).filter((file) => file !== 'exit.mts')).toEqual([]);
  });
});

describe(sweepRunFolders, () => {
  it("should remove folders of gone owners and an older version's old spools, and keep the rest", async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    const dead = runFolderName({ host: hostname(), pid: gone, runId: 'run-dead' });
    const live = runFolderName({ host: hostname(), pid: process.pid, runId: 'run-live' });
    const far = runFolderName({ host: 'elsewhere.example', pid: gone, runId: 'run-far' });
    for (const name of [dead, live, far, 'zip-old', 'zip-young']) {
      await mkdir(path.join(parent, name), { recursive: true });
      await writeFile(path.join(parent, name, 'archive.zip'), 'x');
    }
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(path.join(parent, 'zip-old'), old, old);
    expect((await sweepRunFolders(parent)).sort()).toEqual([dead, 'zip-old'].sort());
    expect((await readdir(parent)).sort()).toEqual([far, live, 'zip-young'].sort());
  });
});
