import { setTimeout as sleep } from 'node:timers/promises';
import type { SFTPWrapper } from 'ssh2';

/** The attributes of a remote file, as the SFTP v3 ATTRS structure carries them. */
export interface RawAttrs {
  readonly size: number;
  readonly mode: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** One READDIR entry with its name as the server's bytes. */
export interface RawEntry {
  readonly filename: Buffer;
  readonly attrs: RawAttrs;
}

/** An SFTP status answer (no such file, permission denied, ...), with the protocol's code as ssh2 reports it. */
class SftpStatusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

// The parts of ssh2's SFTP object (ssh2 1.17, pinned) this module works with.
interface SftpInternals {
  outgoing: { id: number; state: string; window: number; packetSize: number };
  _protocol: { channelData(id: number, data: Buffer): void };
  _writeReqid: number;
  push(data: Buffer | null): unknown;
  // ssh2's own framing of the incoming stream, read once to start in step with it.
  _pktLen: number;
  _pktLenBytes: number;
  _pktPos: number;
}

const REQUEST = { OPEN: 3, CLOSE: 4, LSTAT: 7, OPENDIR: 11, READDIR: 12, STAT: 17 } as const;
const RESPONSE = { STATUS: 101, HANDLE: 102, NAME: 104, ATTRS: 105 } as const;
const STATUS_OK = 0;
const STATUS_EOF = 1;
const OPEN_READ = 0x01;
const S_IFMT = 0o170000;

type Answer = (answer: { type: number; body: Buffer } | Error) => void;

/**
 * SFTP requests whose paths and names are bytes, not strings. ssh2 writes every path as
 * UTF-8 and decodes every name as UTF-8, so a file named in Latin-1 is listed with U+FFFD
 * in place of its bytes and can then be neither opened nor told apart from its neighbours.
 * This sends OPENDIR, READDIR, STAT, LSTAT and OPEN with raw bytes over ssh2's own channel
 * (same request ids, same flow-control window) and reads their answers itself from the
 * channel's packet stream, which it watches without changing; ssh2 ignores answers to ids
 * it did not register. Everything else (reads, close) stays ssh2's.
 */
export class SftpRawNames {
  private static readonly channels = new WeakMap<SFTPWrapper, SftpRawNames>();

  /** The raw-name view of one SFTP session (installed once per session). */
  static of(sftp: SFTPWrapper): SftpRawNames {
    let channel = SftpRawNames.channels.get(sftp);
    if (!channel) {
      channel = new SftpRawNames(sftp as unknown as SftpInternals, sftp);
      SftpRawNames.channels.set(sftp, channel);
    }
    return channel;
  }

  private readonly waiting = new Map<number, Answer>();
  // Framing of the incoming packet stream: the first 9 bytes (length, type, request id) of the packet being read.
  private readonly head = Buffer.alloc(9);
  private headBytes = 0;
  private bodyLeft = 0;
  private capture: Buffer[] | undefined;
  private captureId = 0;
  private captureType = 0;

  private constructor(
    private readonly internals: SftpInternals,
    private readonly sftp: SFTPWrapper,
  ) {
    this.startInStep();
    const push = internals.push.bind(sftp);
    internals.push = (data: Buffer | null) => {
      const done = data === null ? [] : this.watch(data);
      const result = push(data);
      if (data === null) this.failAll(new Error('the SFTP session ended'));
      for (const [id, type, body] of done) this.answer(id, type, body);
      return result;
    };
  }

  /** Picks up the packet stream where ssh2 is now: nothing of this module is in flight yet, so a packet already begun is skipped. */
  private startInStep(): void {
    const { _pktLen: length, _pktLenBytes: lengthBytes, _pktPos: position } = this.internals;
    if (lengthBytes > 0 && lengthBytes < 4) {
      for (let i = 0; i < lengthBytes; i += 1) this.head[i] = (length >>> (8 * (lengthBytes - 1 - i))) & 0xff;
      this.headBytes = lengthBytes;
    } else if (lengthBytes === 4 && position < length) {
      this.bodyLeft = length - position;
    }
  }

  /**
   * Every entry of a folder, names as bytes, `.` and `..` left out. A name that is not a plain
   * file name (a slash, a NUL, empty: only a broken or hostile server sends one) is never
   * returned as an entry, so it cannot climb out of the root; it is returned in `skipped`.
   */
  async readdir(dir: Buffer): Promise<{ entries: RawEntry[]; skipped: Buffer[] }> {
    const handle = this.handleOf(await this.request(REQUEST.OPENDIR, [lengthPrefixed(dir)]));
    const entries: RawEntry[] = [];
    const skipped: Buffer[] = [];
    try {
      for (;;) {
        const [type, body] = await this.request(REQUEST.READDIR, [lengthPrefixed(handle)]);
        if (type === RESPONSE.STATUS && body.readUInt32BE(5) === STATUS_EOF) break;
        for (const entry of this.namesOf(type, body)) {
          if (entry.filename.equals(DOT) || entry.filename.equals(DOTDOT)) continue;
          if (isPlainName(entry.filename)) entries.push(entry);
          else skipped.push(entry.filename);
        }
      }
    } finally {
      this.sftp.close(handle, () => undefined);
    }
    return { entries, skipped };
  }

  /** The attributes of `target`, following a link. */
  async stat(target: Buffer): Promise<RawAttrs> {
    return this.attrsOf(await this.request(REQUEST.STAT, [lengthPrefixed(target)]));
  }

  /** The attributes of `target` itself (a link is not followed). */
  async lstat(target: Buffer): Promise<RawAttrs> {
    return this.attrsOf(await this.request(REQUEST.LSTAT, [lengthPrefixed(target)]));
  }

  /** Opens `target` for reading; the handle works with ssh2's `read` and `close`. */
  async openForRead(target: Buffer): Promise<Buffer> {
    const flags = Buffer.alloc(8); // pflags READ, then an ATTRS with no fields
    flags.writeUInt32BE(OPEN_READ, 0);
    return this.handleOf(await this.request(REQUEST.OPEN, [lengthPrefixed(target), flags]));
  }

  private async request(type: number, fields: Buffer[]): Promise<[number, Buffer]> {
    const id = (this.internals._writeReqid = (this.internals._writeReqid + 1) >>> 0);
    const body = Buffer.concat(fields);
    const packet = Buffer.alloc(9 + body.length);
    packet.writeUInt32BE(5 + body.length, 0);
    packet[4] = type;
    packet.writeUInt32BE(id, 5);
    body.copy(packet, 9);
    const answered = new Promise<[number, Buffer]>((resolve, reject) => {
      this.waiting.set(id, (answer) => (answer instanceof Error ? reject(answer) : resolve([answer.type, answer.body])));
    });
    try {
      await this.send(packet);
    } catch (error) {
      this.waiting.delete(id);
      throw error;
    }
    return answered;
  }

  /** Writes a packet within the channel's window, as ssh2 does; waits while the window is too small (rare: requests are small). */
  private async send(packet: Buffer): Promise<void> {
    const out = this.internals.outgoing;
    while (out.state === 'open' && (out.window < packet.length || packet.length > out.packetSize)) await sleep(10);
    if (out.state !== 'open') throw new Error('the SFTP session is closed');
    out.window -= packet.length;
    this.internals._protocol.channelData(out.id, packet);
  }

  /** Follows packet boundaries in an incoming chunk; returns the complete answers to this module's requests. */
  private watch(data: Buffer): Array<[number, number, Buffer]> {
    const done: Array<[number, number, Buffer]> = [];
    let at = 0;
    while (at < data.length) {
      if (this.bodyLeft === 0) {
        // The length comes first; a (malformed) packet shorter than type + id ends before 9 bytes.
        const target = this.headBytes < 4 ? 4 : Math.min(9, 4 + this.head.readUInt32BE(0));
        const take = Math.min(target - this.headBytes, data.length - at);
        data.copy(this.head, this.headBytes, at, at + take);
        this.headBytes += take;
        at += take;
        if (this.headBytes < target) continue;
        const length = this.head.readUInt32BE(0);
        if (this.headBytes === 4 && length > 0) continue;
        const known = this.headBytes === 9;
        this.captureType = this.head[4] ?? 0;
        this.captureId = known ? this.head.readUInt32BE(5) : -1;
        this.bodyLeft = length - (this.headBytes - 4);
        this.capture = known && this.waiting.has(this.captureId) ? [Buffer.from(this.head.subarray(4, 9))] : undefined;
        this.headBytes = 0;
        if (this.bodyLeft === 0) {
          if (this.capture) done.push([this.captureId, this.captureType, Buffer.concat(this.capture)]);
          this.capture = undefined;
        }
        continue;
      }
      const take = Math.min(this.bodyLeft, data.length - at);
      if (this.capture) this.capture.push(Buffer.from(data.subarray(at, at + take)));
      this.bodyLeft -= take;
      at += take;
      if (this.bodyLeft === 0) {
        if (this.capture) done.push([this.captureId, this.captureType, Buffer.concat(this.capture)]);
        this.capture = undefined;
      }
    }
    return done;
  }

  private answer(id: number, type: number, body: Buffer): void {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    waiter?.({ type, body });
  }

  private failAll(error: Error): void {
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiter of waiters) waiter(error);
  }

  /** `body` starts with the type byte and the request id, as the packet does after its length. */
  private handleOf([type, body]: [number, Buffer]): Buffer {
    if (type === RESPONSE.HANDLE) return new Reader(body, 5).string();
    throw this.statusOf(type, body);
  }

  private attrsOf([type, body]: [number, Buffer]): RawAttrs {
    if (type === RESPONSE.ATTRS) return new Reader(body, 5).attrs();
    throw this.statusOf(type, body);
  }

  private namesOf(type: number, body: Buffer): RawEntry[] {
    if (type !== RESPONSE.NAME) throw this.statusOf(type, body);
    const reader = new Reader(body, 5);
    const count = reader.uint32();
    const entries: RawEntry[] = [];
    for (let i = 0; i < count; i += 1) {
      const filename = reader.string();
      reader.string(); // longname: an `ls -l` line for people
      entries.push({ filename, attrs: reader.attrs() });
    }
    return entries;
  }

  private statusOf(type: number, body: Buffer): Error {
    if (type !== RESPONSE.STATUS) return new Error(`the SFTP server answered with packet type ${type}`);
    const reader = new Reader(body, 5);
    const code = reader.uint32();
    const message = reader.remaining() >= 4 ? reader.string().toString('utf8') : '';
    return new SftpStatusError(code, message || (code === STATUS_OK ? 'OK' : `SFTP status ${code}`));
  }
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

/** A name a server may list in a folder: not empty, no slash, no NUL (anything else could climb out of the root). */
export function isPlainName(name: Buffer): boolean {
  return name.length > 0 && !name.includes(0x2f) && !name.includes(0);
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const out = Buffer.alloc(4 + bytes.length);
  out.writeUInt32BE(bytes.length, 0);
  bytes.copy(out, 4);
  return out;
}

/** Reads SFTP v3 fields; a field that runs past the packet is a protocol error. */
class Reader {
  constructor(
    private readonly buffer: Buffer,
    private at: number,
  ) {}

  remaining(): number {
    return this.buffer.length - this.at;
  }

  uint32(): number {
    this.need(4);
    const value = this.buffer.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  string(): Buffer {
    const length = this.uint32();
    this.need(length);
    const value = Buffer.from(this.buffer.subarray(this.at, this.at + length));
    this.at += length;
    return value;
  }

  attrs(): RawAttrs {
    const flags = this.uint32();
    let size = 0;
    let mode = 0;
    let mtime = 0;
    if (flags & 0x1) {
      this.need(8);
      size = Number(this.buffer.readBigUInt64BE(this.at));
      this.at += 8;
    }
    if (flags & 0x2) this.at += 8; // uid, gid
    if (flags & 0x4) mode = this.uint32();
    if (flags & 0x8) {
      this.uint32(); // atime
      mtime = this.uint32();
    }
    if (flags & 0x80000000) {
      const count = this.uint32();
      for (let i = 0; i < count; i += 1) {
        this.string();
        this.string();
      }
    }
    return {
      size,
      mode,
      mtime,
      isFile: () => (mode & S_IFMT) === 0o100000,
      isDirectory: () => (mode & S_IFMT) === 0o040000,
      isSymbolicLink: () => (mode & S_IFMT) === 0o120000,
    };
  }

  private need(bytes: number): void {
    if (this.at + bytes > this.buffer.length) throw new Error('the SFTP server sent a malformed packet');
  }
}
