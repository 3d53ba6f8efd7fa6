/**
 * The cheap receivers of `bench:video --capacity-receivers plain` (issue 17): one Node process, one
 * UDP socket on loopback per consumer, counting what arrives from the RTP header alone (SRTP
 * encrypts the payload and appends an authentication tag but leaves the 12-byte header in the
 * clear), without decrypting. The SFU's PlainTransport consumers send to these sockets
 * (sfu/src/bench-plain-consumers.ts); video-capacity.ts starts this process and compares each
 * stream's count with its publisher's packets-sent over a window, as for the WHEP players.
 *
 * stdin, one command a line:
 *   bind <n>          → {"event":"bound","ports":[...]}  n sockets (4 MiB receive buffer each)
 *   expect <json>     → {"event":"expect"}  per stream the SSRC its consumer sends with and its
 *                       transport's SRTP master key: [{"ssrc", "keyBase64"}, ...]
 *   stats <tag>       → {"event":"stats","tag":...,"streams":[{i, received, bytes, lost, ...}]}
 * End of stdin ends it.
 *
 * Per stream: `received` distinct RTP packets with the expected SSRC (a duplicate is not counted,
 * so it cannot hide a lost packet), `bytes` as on the wire (SRTP tag included), `lost` = expected −
 * received from the extended sequence numbers (RFC 3550 A.3) since the stream's first packet;
 * `late` packets older than the highest seen (reordered), `duplicates`;
 * `foreign` RTP packets with another SSRC (RTX, probing: none expected); `rtcp` packets (the
 * consumer's sender reports, rtcp-mux) — not counted as media. So that a count cannot be of
 * plain RTP, the first packet of each stream and every SRTP_CHECK_EVERY-th after it are checked:
 * their 80-bit HMAC-SHA1 tag must verify with the stream's key (RFC 3711, AES_CM_128_HMAC_SHA1_80;
 * `srtpChecked`, `srtpFailed`).
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createInterface } from 'node:readline';

const RECV_BUFFER = 4 * 1024 * 1024;
const SRTP_CHECK_EVERY = 256;
const SRTP_TAG = 10;

/** RFC 3711 §4.3.1, key derivation rate 0: the SRTP authentication key (label 0x01) */
function srtpAuthKey(keyBase64: string): Buffer {
  const master = Buffer.from(keyBase64, 'base64');
  const iv = Buffer.alloc(16);
  master.subarray(16, 30).copy(iv);
  iv[7]! ^= 0x01;
  return createCipheriv('aes-128-ctr', master.subarray(0, 16), iv).update(Buffer.alloc(20));
}

/** the packet's tag verifies with rollover counter `roc` or a neighbour of it */
function srtpAuthentic(buf: Buffer, authKey: Buffer, roc: number): boolean {
  const body = buf.subarray(0, buf.length - SRTP_TAG);
  const tag = buf.subarray(buf.length - SRTP_TAG);
  return [roc, roc - 1, roc + 1]
    .filter((r) => r >= 0)
    .some((r) => {
      const rb = Buffer.alloc(4);
      rb.writeUInt32BE(r);
      return createHmac('sha1', authKey).update(body).update(rb).digest().subarray(0, SRTP_TAG).equals(tag);
    });
}

interface Stream {
  socket: Socket;
  ssrc: number | null;
  authKey: Buffer | null;
  srtpChecked: number;
  srtpFailed: number;
  received: number;
  bytes: number;
  late: number;
  duplicates: number;
  foreign: number;
  rtcp: number;
  notRtp: number;
  /** extended sequence numbers: the first, the highest, and those of the last ~4096 */
  base: number;
  maxExt: number;
  seen: Set<number>;
}

const streams: Stream[] = [];
const emit = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

function onPacket(s: Stream, buf: Buffer): void {
  if (buf.length < 12 || buf[0]! >> 6 !== 2) {
    s.notRtp++;
    return;
  }
  const b1 = buf[1]!;
  if (b1 >= 192 && b1 <= 223) {
    s.rtcp++; // RTCP packet types 192–223 (RFC 5761)
    return;
  }
  if (buf.readUInt32BE(8) !== s.ssrc) {
    s.foreign++;
    return;
  }
  const seq = buf.readUInt16BE(2);
  let ext: number;
  if (s.received === 0) {
    ext = 0x10000 + seq; // room below for a packet that comes late
    s.base = ext;
    s.maxExt = ext;
  } else {
    const ahead = (seq - s.maxExt) & 0xffff;
    if (ahead !== 0 && ahead < 0x8000) {
      ext = s.maxExt + ahead;
      s.maxExt = ext;
    } else {
      ext = s.maxExt - ((s.maxExt - seq) & 0xffff);
      if (s.seen.has(ext)) {
        s.duplicates++; // not counted: it would hide a lost packet
        return;
      }
      s.late++;
    }
  }
  s.seen.add(ext);
  if (s.seen.size > 8192) for (const x of s.seen) if (x < s.maxExt - 4096) s.seen.delete(x);
  if (s.received % SRTP_CHECK_EVERY === 0 && s.authKey) {
    s.srtpChecked++;
    // the sender's rollover counter: wraps since its first packet (ext of the first is 0x10000 + seq)
    if (!srtpAuthentic(buf, s.authKey, Math.floor(ext / 0x10000) - 1)) s.srtpFailed++;
  }
  s.received++;
  s.bytes += buf.length;
}

async function bind(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const socket = createSocket({ type: 'udp4', recvBufferSize: RECV_BUFFER });
    const s: Stream = {
      socket,
      ssrc: null,
      authKey: null,
      srtpChecked: 0,
      srtpFailed: 0,
      received: 0,
      bytes: 0,
      late: 0,
      duplicates: 0,
      foreign: 0,
      rtcp: 0,
      notRtp: 0,
      base: 0,
      maxExt: 0,
      seen: new Set(),
    };
    socket.on('message', (buf) => onPacket(s, buf));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    streams.push(s);
    ports.push(socket.address().port);
  }
  return ports;
}

const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const [cmd, ...rest] = line.trim().split(' ');
  const arg = rest.join(' ');
  try {
    if (cmd === 'bind') emit({ event: 'bound', ports: await bind(Number(arg)) });
    else if (cmd === 'expect') {
      const expected = JSON.parse(arg) as { ssrc: number; keyBase64: string }[];
      expected.forEach(({ ssrc, keyBase64 }, i) => {
        streams[i]!.ssrc = ssrc;
        streams[i]!.authKey = srtpAuthKey(keyBase64);
      });
      emit({ event: 'expect' });
    } else if (cmd === 'stats') {
      // a few turns of the event loop first: datagrams already queued on the sockets are read
      for (let k = 0; k < 3; k++) await new Promise((r) => setTimeout(r, 10));
      emit({
        event: 'stats',
        tag: arg,
        streams: streams.map((s, i) => ({
          i,
          received: s.received,
          bytes: s.bytes,
          lost: s.received === 0 ? 0 : s.maxExt - s.base + 1 - s.received,
          late: s.late,
          duplicates: s.duplicates,
          foreign: s.foreign,
          rtcp: s.rtcp,
          notRtp: s.notRtp,
          srtpChecked: s.srtpChecked,
          srtpFailed: s.srtpFailed,
        })),
      });
    }
  } catch (err) {
    emit({ event: 'error', message: (err as Error).message });
  }
});
lines.on('close', () => {
  for (const s of streams) s.socket.close();
  process.exit(0);
});
