import type { SFTPWrapper } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { isPlainName, SftpRawNames } from './sftp-raw-names.js';

/** The parts of an ssh2 SFTP session the module touches, recording what it sends and what reaches ssh2. */
function fakeSession(framing: { _pktLen?: number; _pktLenBytes?: number; _pktPos?: number } = {}) {
  const sent: Buffer[] = [];
  const forwarded: Buffer[] = [];
  const closed: Buffer[] = [];
  const session = {
    outgoing: { id: 7, state: 'open', window: 1 << 20, packetSize: 32768 },
    _protocol: { channelData: (_id: number, data: Buffer) => sent.push(Buffer.from(data)) },
    _writeReqid: 41,
    _pktLen: 0,
    _pktLenBytes: 0,
    _pktPos: 0,
    ...framing,
    push: (data: Buffer | null) => {
      if (data) forwarded.push(Buffer.from(data));
    },
    close: (handle: Buffer, cb: () => void) => {
      closed.push(handle);
      cb();
    },
  };
  return { session, sftp: session as unknown as SFTPWrapper, sent, forwarded, closed };
}

const u32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
};
const str = (bytes: Buffer | string) => Buffer.concat([u32(Buffer.byteLength(bytes)), Buffer.from(bytes)]);
const packet = (type: number, id: number, ...fields: Buffer[]) => {
  const body = Buffer.concat([Buffer.from([type]), u32(id), ...fields]);
  return Buffer.concat([u32(body.length), body]);
};
// ATTRS with size and permissions and times: a regular file of `size` bytes, mtime 1700000000.
const fileAttrs = (size: number) => Buffer.concat([u32(0x1 | 0x4 | 0x8), Buffer.from([0, 0, 0, 0]), u32(size), u32(0o100644), u32(1), u32(1_700_000_000)]);
const idOf = (sent: Buffer) => sent.readUInt32BE(5);

/** Feeds `bytes` to the session one small slice at a time, as a slow network would. */
function trickle(push: (data: Buffer) => unknown, bytes: Buffer, step: number) {
  for (let at = 0; at < bytes.length; at += step) push(bytes.subarray(at, at + step));
}

describe(SftpRawNames, () => {
  it.each([1, 3, 8, 1000])('should list a folder by its raw names when answers arrive in %i-byte slices among other traffic', async (step) => {
    const { session, sftp, sent, forwarded, closed } = fakeSession();
    const raw = SftpRawNames.of(sftp);
    const listing = raw.readdir(Buffer.from('/drop/d\xe9p\xf4t', 'latin1'));
    await new Promise((resolve) => setImmediate(resolve));
    // OPENDIR went out with the path's exact bytes, under the session's next request id.
    expect(sent[0]!.subarray(4, 5)[0]).toBe(11);
    expect(idOf(sent[0]!)).toBe(42);
    expect(sent[0]!.subarray(13).toString('latin1')).toBe('/drop/d\xe9p\xf4t');

    const other = packet(103, 9, str(Buffer.alloc(300, 7))); // a DATA answer for a read ssh2 made
    trickle(session.push, Buffer.concat([other, packet(102, 42, str('H1')), other]), step);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent[1]!.subarray(4, 5)[0]).toBe(12);
    const names = packet(
      104,
      idOf(sent[1]!),
      u32(5),
      str('.'),
      str('drwxr-xr-x .'),
      fileAttrs(0),
      str(Buffer.from('r\xe9sum\xe9.csv', 'latin1')),
      str('-rw-r--r-- r?sum?.csv'),
      fileAttrs(12),
      str('café.csv'),
      str('-rw-r--r-- café.csv'),
      fileAttrs(5),
      str('../../etc/passwd'),
      str('-rw-r--r-- ../../etc/passwd'),
      fileAttrs(1),
      str(''),
      str('-rw-r--r-- '),
      fileAttrs(1),
    );
    trickle(session.push, Buffer.concat([names, other]), step);
    await new Promise((resolve) => setImmediate(resolve));
    trickle(session.push, packet(101, idOf(sent[2]!), u32(1), str('End of file'), str('')), step);

    const { entries, skipped } = await listing;
    expect(skipped.map((name) => name.toString())).toEqual(['../../etc/passwd', '']);
    expect(entries.map((entry) => [entry.filename.toString('hex'), entry.attrs.size, entry.attrs.isFile(), entry.attrs.mtime])).toEqual([
      [Buffer.from('r\xe9sum\xe9.csv', 'latin1').toString('hex'), 12, true, 1_700_000_000],
      [Buffer.from('café.csv').toString('hex'), 5, true, 1_700_000_000],
    ]);
    expect(closed.map((handle) => handle.toString())).toEqual(['H1']);
    // ssh2 saw every byte, unchanged and in order (its own answers are not taken from it).
    expect(Buffer.concat(forwarded).equals(Buffer.concat([other, packet(102, 42, str('H1')), other, names, other, packet(101, idOf(sent[2]!), u32(1), str('End of file'), str(''))]))).toBe(true);
  });

  it('should start in step with ssh2 when a packet is half received', async () => {
    // ssh2 has read 4 length bytes and 30 of a 100-byte packet when the module first sees the session.
    const { session, sftp, sent } = fakeSession({ _pktLen: 100, _pktLenBytes: 4, _pktPos: 30 });
    const raw = SftpRawNames.of(sftp);
    const stat = raw.stat(Buffer.from('/drop/a\xe9', 'latin1'));
    await new Promise((resolve) => setImmediate(resolve));
    const id = idOf(sent[0]!);
    // The rest of the old packet happens to hold bytes that look like an answer to this id.
    const tail = Buffer.concat([Buffer.alloc(61), packet(105, id, fileAttrs(999)).subarray(0, 9)]);
    session.push(Buffer.concat([tail, packet(105, id, fileAttrs(3))]));
    expect((await stat).size).toBe(3);
  });

  it('should turn a status answer into an error with the protocol code, as ssh2 does', async () => {
    const { session, sftp, sent } = fakeSession();
    const open = SftpRawNames.of(sftp).openForRead(Buffer.from('/drop/gone\xe9', 'latin1'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent[0]!.subarray(4, 5)[0]).toBe(3);
    session.push(packet(101, idOf(sent[0]!), u32(2), str('No such file'), str('')));
    await expect(open).rejects.toMatchObject({ code: 2, message: 'No such file' });
  });

  it('should fail what is in flight when the session ends', async () => {
    const { session, sftp } = fakeSession();
    const stat = SftpRawNames.of(sftp).lstat(Buffer.from('/drop/x'));
    await new Promise((resolve) => setImmediate(resolve));
    session.push(null as unknown as Buffer);
    await expect(stat).rejects.toThrow('the SFTP session ended');
  });
});

describe(isPlainName, () => {
  it.each([
    ['report.csv', true],
    ['r\xe9sum\xe9.csv', true],
    ['..', true], // left out of listings by name, never joined
    ['', false],
    ['../../etc/passwd', false],
    ['a/b', false],
    ['/abs', false],
    ['nul\0byte', false],
  ])('%j -> %s', (name, plain) => {
    expect(isPlainName(Buffer.from(name, 'latin1'))).toBe(plain);
  });
});
