import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A detached tmux pane of a fixed size on its own tmux server: a real pseudo-terminal to read back. */
export class TmuxPane {
  /** The tmux server's own socket name, so tests never touch a user's tmux. */
  readonly socket = `octo-test-${randomBytes(6).toString('hex')}`;

  /**
   * Starts `command` (a shell line) in a new pane of `columns` x `rows`. The command should not
   * end before the screen is read (end it with `; sleep 600`): tmux's own "Pane is dead" line
   * would scroll the screen.
   */
  static async start(command: string, options: { columns: number; rows: number; cwd: string }): Promise<TmuxPane> {
    const pane = new TmuxPane();
    await run('tmux', ['-L', pane.socket, '-f', '/dev/null', 'new-session', '-d', '-x', String(options.columns), '-y', String(options.rows), '-c', options.cwd, command]);
    return pane;
  }

  /** The pane's screen as text, trailing blank lines dropped. */
  async capture(): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, 'capture-pane', '-p', '-J']);
    return stdout.replace(/\n+$/, '');
  }

  /** Polls the screen until `done` holds, or fails after `timeoutMs` with what the screen showed. */
  async waitFor(done: (screen: string) => boolean, timeoutMs = 60_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.capture();
      if (done(screen)) return screen;
      if (Date.now() > until) throw new Error(`the pane never showed what was awaited; it shows:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async close(): Promise<void> {
    await run('tmux', ['-L', this.socket, 'kill-server']).catch(() => undefined);
  }
}

