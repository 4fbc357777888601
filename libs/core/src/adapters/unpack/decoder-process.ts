import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { OctoError } from '../../errors/octo-error.js';

/** How much of the tool's stderr is kept for a message: its first line says what went wrong. */
const STDERR_KEPT_BYTES = 2048;

/** A reference decompressor run as a child process. */
export interface DecoderTool {
  /** The command, found on PATH (`bzip2`, `xz`). */
  readonly command: string;
  readonly args: readonly string[];
  /** The Debian package that provides it, for the "not installed" message. */
  readonly debianPackage: string;
  /** The extension it is used for, for the "not installed" message. */
  readonly ext: string;
}

/**
 * A decompressor run as the system's reference tool (`bzip2 -dc`, `xz -dc`), as a duplex
 * stream: compressed bytes in, plain bytes out, with backpressure both ways. The output ends
 * only once the tool exited cleanly, so a truncated or damaged tail is an error on the stream,
 * never a short file.
 *
 * Why not in process: the npm decoders measured here were unfit for partner files. The
 * JavaScript bzip2 stream (unbzip2-stream) decoded 100 MB of text in 52 s against 5 CPU-s for
 * `bzip2 -dc`, and held a whole block as a JS array (1.8 GiB RSS on 200 MB of zeros); both
 * liblzma bindings tried (node-liblzma, lzma-native) end a truncated .xz without an error, so
 * a cut file would land short. The reference tools stream in a few MB and fail a cut file.
 */
export class DecoderProcess extends Duplex {
  private readonly child;
  private stderr = '';
  private fed = 0;

  constructor(tool: DecoderTool) {
    super({ readableHighWaterMark: 256 * 1024 });
    this.child = spawn(tool.command, tool.args, { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C' } });
    const { stdin, stdout, stderr } = this.child;
    // The tool may exit before reading all we write (damaged data): its exit status says why.
    stdin.on('error', () => undefined);
    stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) stdout.pause();
    });
    stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < STDERR_KEPT_BYTES) this.stderr += chunk.toString('utf8');
    });
    this.child.once('error', (error: NodeJS.ErrnoException) => {
      this.destroy(
        error.code === 'ENOENT'
          ? new OctoError('config', `${tool.command} is not installed on this machine, and Octo decompresses ${tool.ext} files with it: install it (Debian: apt-get install ${tool.debianPackage})`, { cause: error })
          : error,
      );
    });
    this.child.once('close', (code, signal) => {
      if (this.destroyed) return;
      if (code === 0) this.push(null);
      else this.destroy(new Error(firstLine(this.stderr, tool.command) || `${tool.command} ended with ${signal ?? `exit status ${code}`}`));
    });
  }

  /** Compressed bytes handed to the tool so far (for the compression-ratio check). */
  get bytesFed(): number {
    return this.fed;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.fed += chunk.length;
    if (this.child.stdin.write(chunk)) callback();
    else this.child.stdin.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.child.stdin.end(() => callback());
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    callback(error);
  }
}

/** `xz: (stdin): Unexpected end of input` -> `Unexpected end of input`. */
function firstLine(stderr: string, command: string): string {
  const line = stderr.trim().split('\n')[0] ?? '';
  return line.replace(new RegExp(`^${command}: (\\(stdin\\): )?`), '').replace(/;$/, '');
}
