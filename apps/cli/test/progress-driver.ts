// Drives the progress view with a fixed clock in a real terminal (the tmux pane of progress-reporter.int.spec.ts).
import { ProgressReporter } from '../src/output/progress-reporter.js';

let now = Date.parse('2026-11-01T10:00:00.000Z');
const progress = (filesDone: number, bytesDone: number) => ({ filesDone, filesTotal: 3, percent: 0, bytesDone, bytesTotal: 300 * 1024 * 1024 });
const at = () => new Date(now).toISOString();
const reporter = new ProgressReporter(process.stderr, () => now, 0);
const MiB = 1024 * 1024;
reporter.onEvent({ type: 'job.started', jobId: 'j', provider: 'acme', total: 3, totalBytes: 300 * MiB, at: at() });
reporter.onEvent({ type: 'file.started', jobId: 'j', path: 'in/big_20261101.csv.gpg', size: 200 * MiB, at: at() });
reporter.onEvent({ type: 'file.started', jobId: 'j', path: 'in/small_20261101.csv.gpg', size: 50 * MiB, at: at() });
for (let second = 1; second <= 10; second += 1) {
  now += 1000;
  reporter.onEvent({ type: 'file.progress', jobId: 'j', path: 'in/big_20261101.csv.gpg', bytes: second * 10 * MiB, size: 200 * MiB, at: at() });
  if (second <= 5) reporter.onEvent({ type: 'file.progress', jobId: 'j', path: 'in/small_20261101.csv.gpg', bytes: second * 10 * MiB, size: 50 * MiB, at: at() });
}
reporter.onEvent({ type: 'file.failed', jobId: 'j', path: 'in/small_20261101.csv.gpg', kind: 'decrypt', reason: 'in/small_20261101.csv.gpg: wrong passphrase', durationMs: 10_000, progress: progress(1, 150 * MiB), at: at() });
now += 50_000;
reporter.onEvent({ type: 'file.progress', jobId: 'j', path: 'in/big_20261101.csv.gpg', bytes: 150 * MiB, size: 200 * MiB, at: at() });
reporter.stop();
process.stderr.write('DRIVER DONE\n');
setInterval(() => undefined, 1000);
