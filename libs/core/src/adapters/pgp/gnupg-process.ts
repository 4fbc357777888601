import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** How a gpg run talks back: status lines (without the `[GNUPG:] ` prefix) and stderr lines. */
export interface GnuPgListeners {
  /** A status line; `answer` writes one line to gpg's command fd (a passphrase when it asks for one). */
  onStatus?(keyword: string, args: readonly string[], answer: (line: string) => void): void;
  /** A line of stderr. Never log it raw: it names files and users; keep only what is classified. */
  onStderr?(line: string): void;
}

/** A running gpg child with its status and command channels wired. */
export interface GnuPgProcess {
  readonly child: ChildProcess;
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** Settles when the child exited and its output was read: its exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `gpg` on an ephemeral home in batch mode with loopback pinentry: status on fd 3,
 * commands (passphrases) on fd 4, so no secret is ever on its command line or in its
 * environment. The environment is minimal and in the C locale so stderr reads the same everywhere.
 */
export function spawnGnuPg(home: string, args: readonly string[], listeners: GnuPgListeners = {}): GnuPgProcess {
  const child = spawn(
    'gpg',
    ['--homedir', home, '--batch', '--no-tty', '--no-greeting', '--no-permission-warning', '--pinentry-mode', 'loopback', '--status-fd', '3', '--command-fd', '4', ...args],
    { stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C', LANGUAGE: 'C', GNUPGHOME: home } },
  );
  // Spawned with every stdio a pipe, so these exist.
  const stdin = child.stdin as Writable;
  const stdout = child.stdout as Readable;
  const stderr = child.stderr as Readable;
  const status = child.stdio[3] as Readable;
  const commands = child.stdio[4] as Writable;
  // gpg may exit before reading everything we write (no key for a file): that is a verdict, not a crash.
  for (const stream of [stdin, commands]) stream.on('error', () => undefined);
  const answer = (line: string) => {
    if (!commands.destroyed) commands.write(`${line}\n`);
  };
  const statusDone = new Promise<void>((resolve) => {
    createInterface({ input: status })
      .on('line', (line) => {
        if (!line.startsWith('[GNUPG:] ')) return;
        const [keyword = '', ...rest] = line.slice(9).split(' ');
        listeners.onStatus?.(keyword, rest, answer);
      })
      .on('close', resolve);
  });
  const stderrDone = new Promise<void>((resolve) => {
    createInterface({ input: stderr })
      .on('line', (line) => listeners.onStderr?.(line))
      .on('close', resolve);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    let spawnError = false;
    child.once('error', () => {
      spawnError = true;
      resolve({ code: 127, signal: null });
    });
    child.once('exit', (code, signal) => {
      commands.destroy();
      void Promise.all([statusDone, stderrDone]).then(() => {
        if (!spawnError) resolve({ code, signal });
      });
    });
  });
  return { child, stdin, stdout, exited };
}
