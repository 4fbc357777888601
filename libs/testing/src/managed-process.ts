import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** A server process the harness started; {@link ManagedProcess.stop} ends it and its children. */
export class ManagedProcess {
  private output = '';
  private exited = false;
  readonly exit: Promise<number | null>;

  private constructor(readonly name: string, readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => {
      // Keep the tail only: enough to explain a failed start.
      this.output = (this.output + chunk.toString('utf8')).slice(-8_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exit = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.exited = true;
        resolve(code);
      });
      child.once('error', (error) => {
        keep(Buffer.from(String(error)));
        this.exited = true;
        resolve(null);
      });
    });
  }

  /** Starts `command` in its own process group, so stop() reaches every child it forks. */
  static start(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): ManagedProcess {
    const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const managed = new ManagedProcess(name, child);
    running.add(managed);
    return managed;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** The last few KiB the process printed (for error messages). */
  get log(): string {
    return this.output;
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; safe to call more than once. */
  async stop(graceMs = 3_000): Promise<void> {
    running.delete(this);
    if (this.exited) return;
    signalGroup(this.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
    // Children that outlived their parent (sshd session processes) go too.
    signalGroup(this.pid, 'SIGKILL');
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

const running = new Set<ManagedProcess>();
// A test run that dies (or a dev stack that is interrupted) never leaves servers behind.
process.once('exit', () => {
  for (const managed of running) signalGroup(managed.pid, 'SIGKILL');
});
