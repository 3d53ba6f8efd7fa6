/**
 * RFC 3161 time stamps (issue 13): the request a time-stamping authority expects
 * (`application/timestamp-query`, DER) and the two fields of its reply the anchoring job needs, the
 * status and the time. Signature and certificate checks are `openssl ts -verify`'s job
 * (tsa-verify.ts), so an outside party runs exactly the same check.
 */
import { createHash } from 'node:crypto';

/** DER length octets */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const der = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);

/** id-sha256, 2.16.840.1.101.3.4.2.1 */
const SHA256_OID = Buffer.from([0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]);

/** TimeStampReq { version 1, messageImprint sha256(data), certReq TRUE } (no nonce, no policy) */
export function timestampQuery(data: Buffer | string): Buffer {
  const digest = createHash('sha256').update(data).digest();
  const algorithm = der(0x30, Buffer.concat([SHA256_OID, Buffer.from([0x05, 0x00])]));
  const imprint = der(0x30, Buffer.concat([algorithm, der(0x04, digest)]));
  return der(
    0x30,
    Buffer.concat([Buffer.from([0x02, 0x01, 0x01]), imprint, Buffer.from([0x01, 0x01, 0xff])]),
  );
}

interface Tlv {
  tag: number;
  start: number;
  end: number;
}
function readTlv(buf: Buffer, at: number): Tlv {
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  if (start + len > buf.length) throw new Error('truncated DER');
  return { tag, start, end: start + len };
}

export interface TimestampReply {
  /** PKIStatus: 0 granted, 1 granted with modifications, 2 rejection, … */
  status: number;
  /** genTime of the token, epoch ms; null when no token came */
  genTime: number | null;
}

/**
 * Reads a TimeStampResp's status and its token's genTime (the one GeneralizedTime in TSTInfo:
 * certificates carry UTCTime until 2050 and the signing-time attribute is UTCTime as well).
 */
export function readTimestampReply(reply: Buffer): TimestampReply {
  const outer = readTlv(reply, 0);
  if (outer.tag !== 0x30) throw new Error('not a TimeStampResp');
  const statusInfo = readTlv(reply, outer.start);
  const statusInt = readTlv(reply, statusInfo.start);
  if (statusInt.tag !== 0x02) throw new Error('TimeStampResp without a status');
  const status = reply[statusInt.end - 1]!;
  let genTime: number | null = null;
  for (let i = statusInfo.end; i < outer.end - 2; i++) {
    if (reply[i] !== 0x18) continue;
    const len = reply[i + 1]!;
    if (len < 15 || len > 24) continue;
    const text = reply.subarray(i + 2, i + 2 + len).toString('latin1');
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,6}))?Z$/.exec(text);
    if (!m) continue;
    const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
    genTime = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms);
    break;
  }
  return { status, genTime };
}

/** POSTs a query for `data` to the TSA; resolves with the reply's DER when the stamp was granted. */
export async function requestTimestamp(
  tsaUrl: string,
  data: Buffer | string,
  timeoutMs = 10_000,
): Promise<{ reply: Buffer; genTime: number }> {
  const res = await fetch(tsaUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/timestamp-query' },
    body: new Uint8Array(timestampQuery(data)),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`TSA answered HTTP ${res.status}`);
  const reply = Buffer.from(await res.arrayBuffer());
  const r = readTimestampReply(reply);
  if (r.status > 1 || r.genTime === null) throw new Error(`TSA refused the stamp (status ${r.status})`);
  return { reply, genTime: r.genTime };
}
