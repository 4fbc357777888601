import type { Duplex } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';

/**
 * The receive window suggested for a far-away server (`source.receiveWindowMiB: 32`): above what
 * the reads in flight of every file sharing a connection can ask for (8 files x 32 x 128 KiB),
 * so the window never bounds a transfer. The reads in flight bound what arrives, but a faster
 * read leaves more garbage between collections: a 1 GiB file from loopback sshd to moto peaked
 * 20-25 MiB higher with it, which is why it is opt-in.
 */
export const SFTP_CHANNEL_WINDOW_BYTES = 32 * 1024 * 1024;

interface Protocol {
  channelWindowAdjust(channel: number, amount: number): void;
}

/** The parts of ssh2's (1.17) channels the window lives in (an SFTP channel, or a forwarded one); not in its typings. */
interface ChannelInternals {
  incoming: { window: number };
  outgoing: { id: number; state: string };
  _protocol?: Protocol;
  _client?: { _protocol?: Protocol };
  push(data: Buffer | null): unknown;
}

const widened = new WeakSet<object>();

/**
 * Keeps an SSH channel's receive window at `bytes` instead of ssh2's fixed 2 MiB, which caps
 * one channel at 2 MiB per round trip (about 15 MiB/s at 50 ms, measured) whatever the reads
 * in flight: an SFTP channel, or the jump host's `direct-tcpip` channel an SFTP connection
 * rides on. The window is topped up once half of it is used, so ssh2's own top-up (at 1 MiB
 * left) never runs; a forwarded channel whose reader is behind is left to ssh2's backpressure.
 * Returns false, and changes nothing, when the channel is not shaped as ssh2 1.17's are (the
 * transfer then runs at ssh2's window).
 */
export function widenChannelWindow(channelOrSftp: SFTPWrapper | Duplex, bytes = SFTP_CHANNEL_WINDOW_BYTES): boolean {
  const channel = channelOrSftp as unknown as Partial<ChannelInternals>;
  if (widened.has(channel)) return true;
  const protocol = channel._protocol ?? channel._client?._protocol;
  if (!isChannel(channel) || typeof protocol?.channelWindowAdjust !== 'function') return false;
  const topUp = () => {
    const amount = bytes - channel.incoming.window;
    if (amount <= 0 || channel.outgoing.state !== 'open') return;
    channel.incoming.window += amount;
    protocol.channelWindowAdjust(channel.outgoing.id, amount);
  };
  const push = channel.push;
  // ssh2 has already counted the packet against the window when it hands it to push(); false
  // is a stream's full buffer, which ssh2 answers with a top-up once it is read.
  channel.push = function (this: ChannelInternals, data: Buffer | null) {
    const result = push.call(this, data);
    if (data !== null && result !== false && channel.incoming.window <= bytes / 2) topUp();
    return result;
  };
  widened.add(channel);
  topUp();
  return true;
}

function isChannel(channel: Partial<ChannelInternals>): channel is ChannelInternals {
  return (
    typeof channel.incoming?.window === 'number' &&
    typeof channel.outgoing?.id === 'number' &&
    typeof channel.outgoing.state === 'string' &&
    typeof channel.push === 'function'
  );
}
