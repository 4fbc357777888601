import { describe, expect, it } from 'vitest';
import { SFTP_CHANNEL_WINDOW_BYTES, widenChannelWindow } from './sftp-channel-window.js';

const MiB = 1024 * 1024;

/** A channel shaped as ssh2 1.17's SFTP channel, recording the window adjusts it sends. */
function fakeChannel(window = 2 * MiB) {
  const adjusts: Array<{ channel: number; amount: number }> = [];
  const parsed: Array<Buffer | null> = [];
  const channel = {
    incoming: { window },
    outgoing: { id: 7, state: 'open' },
    _protocol: { channelWindowAdjust: (id: number, amount: number) => adjusts.push({ channel: id, amount }) },
    push: (data: Buffer | null) => {
      parsed.push(data);
      return 'parsed';
    },
  };
  /** What ssh2 does with a CHANNEL_DATA packet: count it against the window, then hand it over. */
  const receive = (bytes: number) => {
    channel.incoming.window -= bytes;
    return channel.push(Buffer.alloc(bytes));
  };
  return { channel, adjusts, parsed, receive };
}

describe(widenChannelWindow, () => {
  it('should raise the window to 32 MiB at once, telling the server by how much', () => {
    const { channel, adjusts } = fakeChannel(2 * MiB - 363);

    expect(widenChannelWindow(channel as never)).toBe(true);

    expect(SFTP_CHANNEL_WINDOW_BYTES).toBe(32 * MiB);
    expect(adjusts).toEqual([{ channel: 7, amount: 30 * MiB + 363 }]);
    expect(channel.incoming.window).toBe(32 * MiB);
  });

  it('should top the window up only once half of it is used, so ssh2 never shrinks it back to 2 MiB', () => {
    const { channel, adjusts, parsed, receive } = fakeChannel();
    widenChannelWindow(channel as never, 8 * MiB);
    adjusts.length = 0;

    expect(receive(3 * MiB)).toBe('parsed');
    expect(adjusts).toEqual([]);
    receive(1 * MiB);
    expect(adjusts).toEqual([{ channel: 7, amount: 4 * MiB }]);
    expect(channel.incoming.window).toBe(8 * MiB);
    // Every packet still reaches ssh2's SFTP parser, in order.
    expect(parsed.map((data) => data?.length)).toEqual([3 * MiB, 1 * MiB]);
  });

  it('should send nothing once the channel is closing, nor for the end of its data', () => {
    const { channel, adjusts, parsed, receive } = fakeChannel();
    widenChannelWindow(channel as never, 8 * MiB);
    adjusts.length = 0;

    channel.push(null);
    channel.outgoing.state = 'closing';
    receive(6 * MiB);

    expect(adjusts).toEqual([]);
    expect(parsed[0]).toBeNull();
  });

  it('should wrap a channel once however often it is widened', () => {
    const { channel, adjusts, parsed, receive } = fakeChannel();
    widenChannelWindow(channel as never, 8 * MiB);
    widenChannelWindow(channel as never, 8 * MiB);
    adjusts.length = 0;

    receive(5 * MiB);

    expect(parsed).toHaveLength(1);
    expect(adjusts).toEqual([{ channel: 7, amount: 5 * MiB }]);
  });

  it("should widen a forwarded channel through its client's protocol, and leave a full stream buffer to ssh2", () => {
    const { channel, adjusts } = fakeChannel();
    let bufferFull = false;
    const forwarded = {
      incoming: channel.incoming,
      outgoing: channel.outgoing,
      _client: { _protocol: channel._protocol },
      push: () => !bufferFull,
    };
    const take = (bytes: number) => {
      forwarded.incoming.window -= bytes;
      return forwarded.push();
    };
    expect(widenChannelWindow(forwarded as never, 8 * MiB)).toBe(true);
    expect(adjusts).toEqual([{ channel: 7, amount: 6 * MiB }]);
    adjusts.length = 0;

    bufferFull = true;
    expect(take(5 * MiB)).toBe(false);
    expect(adjusts).toEqual([]);
    bufferFull = false;
    expect(take(1 * MiB)).toBe(true);
    expect(adjusts).toEqual([{ channel: 7, amount: 6 * MiB }]);
  });

  it('should leave a channel it does not recognise as it is and say so', () => {
    const { channel, adjusts } = fakeChannel();
    const changed = { ...channel, _protocol: {} };
    const push = changed.push;

    expect(widenChannelWindow(changed as never)).toBe(false);

    expect(changed.push).toBe(push);
    expect(changed.incoming.window).toBe(2 * MiB);
    expect(adjusts).toEqual([]);
  });
});
