import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '@octo/core';
import { consoleAssetsDir } from '../assets.js';
import { formatTime } from '../src/format.js';
import { DEMO_KEYS_DIR, exampleProvider, writeSampleDrop } from '@octo/provider-example';
import { createOctoApi, jobDetailSchema, type OctoApi } from '@octo/server';
import { runOctoCli, startLatencyProxy, startSshd, type LatencyProxy, type SshdServer } from '@octo/testing';
import * as openpgp from 'openpgp';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The console in a real browser (Debian's chromium, driven by playwright-core) against a real API:
// the example provider on a local drop (with one file encrypted to a key we do not have), and a
// partner on OpenSSH's sshd behind a 400 ms latency proxy, read one request at a time, so a job
// stays in flight long enough to cancel it from the page. A third, late-bank, expects a delivery
// by 00:00 UTC daily and has none (so it is late since today's midnight), and quarantines a
// truncated gzip after one failed run.

const TOKEN = 'console-test-token-0123456789abcdef0123456789';
const CHROMIUM = process.env['OCTO_CHROMIUM'] ?? '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../../tmp/console-screenshots/', import.meta.url));
const STRANGER_FILE = 'stranger_20261120.csv.gpg';
const BROKEN_FILE = 'broken_20261124.csv.gz';
/** The deadline late-bank missed: today's 00:00 UTC (its window opened the day before). */
const MIDNIGHT = `${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`;

let dir: string;
let configFile: string;
let sshd: SshdServer;
let proxy: LatencyProxy;
let api: OctoApi;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const v1Calls: string[] = [];
const pageProblems: string[] = [];
/** Bodies of the job details the page was answered, to check against the API's own schema. */
const jobBodies: Array<Promise<unknown>> = [];

/** A file encrypted to a freshly made key that the example provider does not have. */
async function encryptedToAStranger(): Promise<{ bytes: Uint8Array; keyId: string }> {
  const { publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Stranger', email: 'stranger@example.com' }], format: 'object' });
  const bytes = await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'id,amount\n1,10.00\n' }), encryptionKeys: publicKey, format: 'binary' });
  const subkey = publicKey.getSubkeys()[0];
  return { bytes: bytes as Uint8Array, keyId: (subkey ?? publicKey).getKeyID().toHex().toUpperCase() };
}

async function shot(name: string, target: Page = page): Promise<void> {
  await target.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

let strangerKeyId = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'octo-console-'));
  await mkdir(SCREENSHOTS, { recursive: true });
  const drop = path.join(dir, 'drop', 'example');
  await writeSampleDrop(drop);
  const stranger = await encryptedToAStranger();
  strangerKeyId = stranger.keyId;
  await writeFile(path.join(drop, STRANGER_FILE), stranger.bytes);
  // Two larger plain files, so the job runs long enough to be watched.
  for (const name of ['large_20261121.csv', 'large_20261122.csv']) {
    await writeFile(path.join(drop, name), Buffer.alloc(24 * 1024 * 1024, 'id,amount,currency,description\n'));
    await utimes(path.join(drop, name), new Date('2026-11-21T06:00:00Z'), new Date('2026-11-21T06:00:00Z'));
  }

  const lateDrop = path.join(dir, 'drop', 'late-bank');
  await mkdir(lateDrop, { recursive: true });
  const gz = gzipSync(Buffer.alloc(50_000, 'id,amount\n'));
  await writeFile(path.join(lateDrop, BROKEN_FILE), gz.subarray(0, gz.length - 10));

  sshd = await startSshd({ baseDir: dir });
  await writeFile(path.join(sshd.dropDir, 'slow_20261123.csv'), Buffer.alloc(4 * 1024 * 1024, 'id,amount\n'));
  proxy = await startLatencyProxy(sshd.port, { roundTripMs: 400 });

  const keys = (name: string) => `file:${path.join(DEMO_KEYS_DIR, name)}`;
  const decryption = { passphrase: keys('passphrase.txt'), privateKeys: [{ key: keys('private.asc') }] };
  const config = {
    store: `file://${dir}/buckets`,
    workDir: `${dir}/work`,
    providers: {
      example: { plugin: 'example', source: `file://${drop}`, bucket: 'example-bucket', exclude: ['**/*.md'], concurrency: 1, decryption },
      partner: {
        plugin: 'example',
        source: {
          url: `sftp://${sshd.user}@127.0.0.1:${proxy.port}${sshd.dropDir}`,
          hostKey: sshd.hostKeyFingerprint,
          privateKey: `file:${sshd.userKeyFile}`,
          connections: 1,
          parallelReads: false,
        },
        bucket: 'partner-bucket',
        settings: { seed: false },
        decryption,
      },
      'late-bank': {
        plugin: 'example',
        source: `file://${lateDrop}`,
        bucket: 'late-bucket',
        settings: { seed: false },
        decryption,
        expect: { by: '00:00', days: 'daily', timezone: 'UTC' },
        quarantine: { after: 1 },
      },
    },
    api: { tokens: ['env:OCTO_CONSOLE_TEST_TOKEN'], port: 0, host: '127.0.0.1', logLevel: 'silent' },
  };
  configFile = path.join(dir, 'octo.config.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  api = await createOctoApi({ loaded: await loadConfig(configFile), plugins: [exampleProvider], env: { OCTO_CONSOLE_TEST_TOKEN: TOKEN }, consoleAssetsDir });
  base = await api.listen();

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-extensions', '--disable-features=Translate,OptimizationHints,MediaRouter'],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Nothing leaves loopback: any request to another host fails the test.
  await context.route(/^(?!http:\/\/127\.0\.0\.1:)/, async (route) => {
    pageProblems.push(`request to another origin: ${route.request().url()}`);
    await route.abort();
  });
  page = await context.newPage();
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/v1/')) v1Calls.push(`${request.method()} ${url.pathname}`);
  });
  page.on('response', (response) => {
    if (response.request().method() === 'GET' && /^\/v1\/jobs\/[0-9a-f-]{36}$/.test(new URL(response.url()).pathname) && response.status() === 200) jobBodies.push(response.json());
  });
  page.on('console', (message) => {
    // The browser logs each 4xx answer; the page shows those itself, and the tests check what it shows.
    if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d /.test(message.text())) pageProblems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.shutdown(0);
  await proxy?.stop();
  await sshd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});

describe('the web console in headless Chromium', () => {
  it('should be served at / with a strict CSP and sign in with the token, keyboard only, into a HttpOnly SameSite=Strict cookie', async () => {
    const answer = await page.goto(base);
    expect(answer?.status()).toBe(200);
    expect(answer?.headers()['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Octo console');
    // A wrong token is refused with what to do, and sets no cookie.
    await page.keyboard.type('not-the-token-not-the-token');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('that is not an API token this server accepts: paste one of the tokens from api.tokens');
    expect(await context.cookies()).toEqual([]);
    await shot('01-sign-in-refused');
    // The field is selected after a refusal: typing replaces it.
    await page.keyboard.type(TOKEN);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Providers');
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'octo_session', httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
    expect(cookies[0]!.value).not.toContain(TOKEN);
    // The page never holds the token: it is in no storage and no URL.
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + location.href)).not.toContain(TOKEN);
  });

  it('should show each provider with its pending files, and run check', async () => {
    const example = page.locator('article[data-provider="example"]');
    await expect.poll(() => example.locator('[data-field="last-sync"]').textContent()).toBe('never synced');
    await expect.poll(() => example.locator('[data-field="pending"] summary').textContent(), { timeout: 15_000 }).toBe('11 files');
    await expect.poll(() => example.locator('[data-field="next-run"]').textContent()).toBe('not scheduled');
    // By keyboard: Tab reaches the button (within the page's first 30 stops) and Enter presses it.
    let tabs = 0;
    while ((await page.evaluate(() => document.activeElement?.textContent)) !== 'Check example' && tabs < 30) {
      await page.keyboard.press('Tab');
      tabs += 1;
    }
    expect(tabs).toBeLessThan(30);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Check example');
    await page.keyboard.press('Enter');
    await expect.poll(() => example.getByRole('region', { name: 'Check of example' }).locator('h3').textContent(), { timeout: 20_000 }).toBe('Check: passed');
    const steps = await example.locator('[data-step]').evaluateAll((items) => items.map((item) => `${item.getAttribute('data-step')} ${item.querySelector('.status')?.textContent}`));
    expect(steps).toContain('bucket pass');
    expect(steps).toContain('list pass');
    await shot('02-providers');
  });

  it('should start a sync of the example provider and follow it live to its end, with the failed file and its reason', async () => {
    // Every distinct "files" line the job page shows, recorded in the page as it changes.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { filesSeen: string[] }).filesSeen = seen;
      new MutationObserver(() => {
        const text = document.querySelector('[data-field="files"]')?.textContent;
        if (text && seen[seen.length - 1] !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Sync example now' }).click();
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/);
    const jobId = page.url().split('/').pop()!;
    await expect.poll(() => page.locator('h1 .status').textContent(), { timeout: 30_000 }).toBe('partial: some files failed');
    await expect.poll(() => page.locator('[data-field="files"]').textContent()).toBe('11 of 11 done: 10 landed, 1 failed');
    expect(await page.locator('[data-field="live"]').textContent()).toBe('ended');
    const seen = await page.evaluate(() => (window as unknown as { filesSeen: string[] }).filesSeen);
    // Watched live: the line went through states between the first and the last.
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.slice(1).every((line) => /^\d+ of 11 done: /.test(line))).toBe(true);
    expect(seen.some((line) => /^\d+ of 11 done: \d+ landed, [01] failed, 1 in flight, \d+ waiting$/.test(line))).toBe(true);
    expect(seen.at(-1)).toBe('11 of 11 done: 10 landed, 1 failed');
    // The failed file comes first, and its reason opens from its row.
    const failed = page.locator(`tr[data-file="${STRANGER_FILE}"]`);
    expect(await failed.getAttribute('data-status')).toBe('failed');
    expect(await failed.locator('details.reason p').isVisible()).toBe(false);
    await failed.getByText('Why it failed').click();
    const reason = await failed.locator('details.reason p').textContent();
    expect(reason).toMatch(new RegExp(`^decrypt: .*${STRANGER_FILE}.* ${strangerKeyId}`));
    await shot('03-job-failed-file-reason');
    // The API says the same as the page.
    const job = await (await fetch(`${base}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    expect(job).toMatchObject({ status: 'partial', counts: { total: 11, succeeded: 10, failed: 1 } });
    expect(reason).toBe(`decrypt: ${job.files.find((file: { path: string }) => file.path === STRANGER_FILE).reason}`);
    // Where a landed file spent its time: the stages it went through, as the API reports them.
    const daily = page.locator('tr[data-file="daily_20261103.csv.gz.gpg"]');
    await daily.getByText('Stages').click();
    const stageNames = await daily.locator('li[data-stage]').evaluateAll((items) => items.map((item) => item.getAttribute('data-stage')));
    const reported = job.files.find((file: { path: string }) => file.path === 'daily_20261103.csv.gz.gpg').stages as Record<string, { ms: number; bytes: number }>;
    expect(stageNames).toEqual(['read', 'decrypt', 'unpack', 'store', 'commit'].filter((name) => name in reported));
    expect(stageNames).toEqual(expect.arrayContaining(['read', 'decrypt', 'unpack']));
    expect(await daily.locator('li[data-stage="unpack"]').textContent()).toMatch(/^unpack \S+ \S+ \S+$/);
  });

  it('should list a job another client started as it starts, and cancel it from its page while its file is in flight', async () => {
    await page.getByRole('link', { name: 'Jobs' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Jobs');
    await expect.poll(() => page.locator('tr[data-job]').count()).toBe(1);
    // Started by someone else (a script with the bearer token), not by this page.
    const started = await fetch(`${base}/v1/providers/partner/jobs`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(started.status).toBe(202);
    const { id } = await started.json();
    const row = page.locator(`tr[data-job="${id}"]`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('running');
    await shot('04-jobs-live');
    await row.getByRole('link').click();
    await page.waitForURL(new RegExp(`#/jobs/${id}$`));
    const inFlight = page.locator('tr[data-file="slow_20261123.csv"]');
    await expect.poll(() => inFlight.locator('td[data-label="Read"]').textContent(), { timeout: 30_000 }).toMatch(/^[1-9][0-9.]* KiB of 4\.0 MiB$/);
    await shot('05-job-in-flight');
    await page.getByRole('button', { name: 'Cancel this job' }).click();
    await expect.poll(() => page.locator('h1 .status').textContent(), { timeout: 20_000 }).toBe('cancelled');
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Job cancelled: nothing partial landed; the next sync takes the files that were in flight.');
    const job = await (await fetch(`${base}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    expect(job.status).toBe('cancelled');
    await shot('06-job-cancelled');
    await page.getByRole('link', { name: 'Jobs' }).click();
    await expect.poll(() => row.getAttribute('data-status')).toBe('cancelled');
  });

  it('should list a job that `octo sync` ran in another process', async () => {
    await expect.poll(() => page.locator('tr[data-job]').count()).toBe(2);
    const run = await runOctoCli(['sync', 'example', '--config', configFile], { env: { ...process.env, OCTO_CONSOLE_TEST_TOKEN: TOKEN } });
    // The stranger's file fails again: a partial job, exit status 1.
    expect(run.code).toBe(1);
    await expect.poll(() => page.locator('tr[data-job]').count(), { timeout: 10_000 }).toBe(3);
    const newest = page.locator('tr[data-job]').first();
    expect(await newest.locator('td[data-label="Provider"]').textContent()).toBe('example');
    expect(await newest.getAttribute('data-status')).toBe('partial');
    expect(await newest.locator('td[data-label="Files"]').textContent()).toBe('0 ok, 1 failed of 1');
  });

  it('should search the ledger by a path glob', async () => {
    await page.getByRole('link', { name: 'Ledger' }).click();
    await page.getByLabel('Source path (glob)').fill('large_*');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('main [role="status"]').textContent()).toBe('2 records matched.');
    expect(await page.locator('tr[data-path]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-path')).sort())).toEqual(['large_20261121.csv', 'large_20261122.csv']);
    await page.getByLabel('Since').fill('not-a-time');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('"not-a-time" is not a time: give an ISO date (2026-11-01), a date-time (2026-11-01T06:00:00Z) or a duration back from now (90m, 36h, 7d)');
    await shot('07-ledger');
  });

  it('should fit a phone screen without sideways scrolling', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${base}/#/jobs`);
    await expect.poll(() => phone.locator('tr[data-job]').count()).toBe(3);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await shot('08-phone-jobs', phone);
    await phone.goto(`${base}/#/providers`);
    await expect.poll(() => phone.locator('article[data-provider]').count()).toBe(3);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await shot('09-phone-providers', phone);
    await phone.close();
  });

  it('should alert that late-bank is late, list its quarantined file with the reason, and release it by keyboard', async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    await page.getByRole('link', { name: 'Providers' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Providers');
    const card = page.locator('article[data-provider="late-bank"]');
    // Late from the start: nothing was ever ingested, and today's midnight passed.
    await expect.poll(() => card.getByRole('alert').textContent(), { timeout: 10_000 }).toMatch(
      new RegExp(`^Late since ${formatTime(MIDNIGHT)} \\(.+ ago\\): expected by 00:00 every day \\(UTC\\), and nothing new was ingested since ${formatTime(new Date(Date.parse(MIDNIGHT) - 86_400_000).toISOString())}\\. Check that late-bank delivered, then sync it\\.$`),
    );
    const provider = await (await fetch(`${base}/v1/providers/late-bank`, { headers })).json();
    expect(provider.late).toMatchObject({ since: MIDNIGHT, expectation: 'by 00:00 every day (UTC)' });
    await expect.poll(() => card.locator('[data-field="quarantined"]').textContent()).toBe('none');
    expect(await page.locator('article[data-provider="example"]').getByRole('alert').count()).toBe(0);

    // One failed run quarantines the broken file (quarantine.after: 1).
    const started = await fetch(`${base}/v1/providers/late-bank/jobs`, { method: 'POST', headers });
    expect(started.status).toBe(202);
    const { id } = await started.json();
    const jobOf = async () => (await fetch(`${base}/v1/jobs/${id}`, { headers })).json();
    await expect.poll(async () => ['queued', 'running'].includes((await jobOf()).status), { timeout: 20_000 }).toBe(false);
    expect(await jobOf()).toMatchObject({ status: 'partial', counts: { total: 1, succeeded: 0, failed: 1 } });
    const quarantine = await (await fetch(`${base}/v1/providers/late-bank/quarantine`, { headers })).json();
    expect(quarantine.files.map((f: { path: string; attempts: number; quarantined: boolean; lastKind: string }) => [f.path, f.attempts, f.quarantined, f.lastKind])).toEqual([[BROKEN_FILE, 1, true, 'unpack']]);

    await card.getByRole('button', { name: 'List pending files' }).click();
    await expect.poll(() => card.locator('[data-field="quarantined"]').textContent()).toBe('1 file, skipped until released (listed below)');
    await expect.poll(() => card.locator('[data-field="pending"]').textContent()).toBe('none (besides 1 quarantined)');
    const region = card.getByRole('region', { name: 'Quarantined files of late-bank' });
    const item = region.locator(`li[data-quarantined="${BROKEN_FILE}"]`);
    expect(await item.locator('[data-field="attempts"]').textContent()).toBe(`failed 1 run, last ${formatTime(quarantine.files[0].lastFailedAt)}`);
    expect(await item.locator('[data-field="reason"]').textContent()).toBe(`unpack: ${quarantine.files[0].lastReason}`);
    expect(quarantine.files[0].lastReason).toContain(BROKEN_FILE);
    await shot('11-provider-late-quarantined');

    // On a phone, the alert and the list fit without sideways scrolling.
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${base}/#/providers`);
    await expect.poll(() => phone.locator(`li[data-quarantined="${BROKEN_FILE}"]`).count()).toBe(1);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await shot('12-phone-late-quarantined', phone);
    await phone.close();

    // By keyboard: Tab reaches the Release button and Enter presses it.
    const releaseLabel = `Release ${BROKEN_FILE}`;
    let tabs = 0;
    while ((await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))) !== releaseLabel && tabs < 60) {
      await page.keyboard.press('Tab');
      tabs += 1;
    }
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(releaseLabel);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Release');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe(`Released ${BROKEN_FILE}: the next run of late-bank retries it.`);
    await expect.poll(() => card.locator('[data-field="quarantined"]').textContent()).toBe('none');
    expect(await region.count()).toBe(0);
    await expect.poll(() => card.locator('[data-field="pending"] summary').textContent()).toBe('1 file');
    expect(await (await fetch(`${base}/v1/providers/late-bank/quarantine`, { headers })).json()).toEqual({ provider: 'late-bank', after: 1, files: [] });
    await shot('13-provider-released');
  });

  it('should sign out: the cookie is refused from then on', async () => {
    const [cookie] = await context.cookies();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Octo console');
    expect(await page.getByRole('status').textContent()).toBe('Signed out.');
    expect(await context.cookies()).toEqual([]);
    const replayed = await fetch(`${base}/v1/jobs`, { headers: { cookie: `octo_session=${cookie!.value}` } });
    expect(replayed.status).toBe(401);
    await shot('10-signed-out');
  });

  it('should have called only documented API operations, broken no CSP rule, and reached no other origin', async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(document.paths).flatMap(([template, item]) =>
      Object.keys(item).map((method) => ({ method: method.toUpperCase(), pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`) })),
    );
    const undocumented = [...new Set(v1Calls)].filter((call) => {
      const [method, pathname] = call.split(' ');
      return !operations.some((operation) => operation.method === method && operation.pattern.test(pathname!));
    });
    expect(v1Calls.length).toBeGreaterThan(10);
    expect(undocumented).toEqual([]);
    expect(new Set(v1Calls)).toContain('POST /v1/session');
    // What the page read is what the API's schema says (the same zod schema its responses are checked with).
    const bodies = await Promise.all(jobBodies);
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) expect(jobDetailSchema.safeParse(body).success).toBe(true);
    expect(pageProblems).toEqual([]);
  });
});
