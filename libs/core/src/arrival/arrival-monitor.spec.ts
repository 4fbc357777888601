import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ObjectStoreLedger } from '../adapters/ledger/object-store-ledger.js';
import { LocalObjectStore } from '../adapters/local/local-object-store.js';
import { FakeClock } from '../testing/fake-clock.js';
import type { JobSummary } from '../ports/job-events.js';
import type { ArrivalStatus } from './arrival-status.js';
import { ArrivalMonitor } from './arrival-monitor.js';
import { expectationConfigSchema } from './expectation-config-schema.js';

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('ArrivalMonitor', () => {
  let dir: string;
  let store: LocalObjectStore;
  let ledger: ObjectStoreLedger;
  let alerts: ArrivalStatus[];
  let clock: FakeClock;

  const monitor = (second = false) =>
    new ArrivalMonitor(new Map([['acme', expectationConfigSchema.parse({ by: '06:00', days: 'mon-fri', timezone: 'Europe/London' })]]), {
      clock,
      open: async () => ({ ledger, store: second ? new LocalObjectStore(path.join(dir, 'bucket')) : store }),
      notifier: {
        providerLate: async (status) => {
          alerts.push(status);
          return [];
        },
        track: (work) => work,
      },
    });

  const ingested = (at: string) =>
    ledger.record({ provider: 'acme', path: `in/${at}.csv`, size: 1, mtimeMs: Date.parse(at), sha256: 'x', outputs: [], jobId: 'job', ingestedAt: at });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'octo-arrival-'));
    store = new LocalObjectStore(path.join(dir, 'bucket'));
    ledger = new ObjectStoreLedger(store);
    alerts = [];
    clock = new FakeClock(Date.parse('2026-12-01T05:00:00Z'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('when nothing arrived by the deadline', () => {
    it('should fire one late alert at the deadline, saying since when, and show the provider late', async () => {
      await ingested('2026-11-30T05:50:00.000Z');
      const watch = monitor();
      watch.start();
      await until(() => watch.known().size === 1);
      expect(watch.known().get('acme')?.late).toBe(false);
      expect(alerts).toHaveLength(0);
      clock.advanceTo('2026-12-01T06:00:00.000Z');
      await until(() => alerts.length > 0);
      expect(alerts).toEqual([
        {
          provider: 'acme',
          expectation: 'by 06:00 on mon-fri (Europe/London)',
          late: true,
          since: '2026-12-01T06:00:00.000Z',
          windowOpenedAt: '2026-11-30T06:00:00.000Z',
          lastArrivalAt: null,
          nextDeadline: '2026-12-02T06:00:00.000Z',
          checkedAt: '2026-12-01T06:00:00.000Z',
        },
      ]);
      expect(watch.armedTimers).toBe(1);
      watch.stop();
      expect(watch.armedTimers).toBe(0);
    });

    it('should alert once per deadline, however many checks and processes judge it', async () => {
      clock.advanceTo('2026-12-01T07:00:00.000Z');
      const first = monitor();
      const second = monitor(true);
      await first.check('acme');
      await second.check('acme');
      await first.afterJob({ provider: 'acme', dryRun: false } as JobSummary);
      expect(alerts.map((alert) => alert.since)).toEqual(['2026-12-01T06:00:00.000Z']);
      expect(await readdir(path.join(dir, 'bucket', '_octo', 'arrival', 'acme'))).toEqual(['late-2026-12-01T06:00:00.000Z.json']);
      clock.advanceTo('2026-12-02T06:30:00.000Z');
      await first.check('acme');
      expect(alerts.map((alert) => alert.since)).toEqual(['2026-12-01T06:00:00.000Z', '2026-12-02T06:00:00.000Z']);
    });
  });

  describe('when a file arrived', () => {
    it('should not alert when a file was ingested in the window', async () => {
      await ingested('2026-12-01T05:30:00.000Z');
      clock.advanceTo('2026-12-01T06:00:00.000Z');
      const status = await monitor().check('acme');
      expect(status).toMatchObject({ late: false, since: null, lastArrivalAt: '2026-12-01T05:30:00.000Z' });
      expect(alerts).toHaveLength(0);
    });

    it('should end the lateness when a file comes after the deadline', async () => {
      clock.advanceTo('2026-12-01T06:10:00.000Z');
      const watch = monitor();
      expect((await watch.check('acme'))?.late).toBe(true);
      await ingested('2026-12-01T06:20:00.000Z');
      clock.advanceTo('2026-12-01T06:30:00.000Z');
      expect(await watch.status('acme', 30 * 60_000)).toMatchObject({ late: true });
      expect(await watch.status('acme', 0)).toMatchObject({ late: false, lastArrivalAt: '2026-12-01T06:20:00.000Z' });
      expect(alerts).toHaveLength(1);
    });

    it('should not count a file ingested before the window opened', async () => {
      await ingested('2026-11-30T06:00:00.000Z');
      clock.advanceTo('2026-12-01T06:00:01.000Z');
      expect(await monitor().check('acme')).toMatchObject({ late: true, since: '2026-12-01T06:00:00.000Z' });
    });
  });

  it('should not judge a dry run, nor a provider without an expectation', async () => {
    clock.advanceTo('2026-12-01T07:00:00.000Z');
    const watch = monitor();
    await watch.afterJob({ provider: 'acme', dryRun: true } as JobSummary);
    await watch.afterJob({ provider: 'other', dryRun: false } as JobSummary);
    expect(await watch.check('other')).toBeUndefined();
    expect(alerts).toHaveLength(0);
  });
});
