/**
 * [K2][K6] The talkback relay's rewriting: whoever speaks, the camera sees one SSRC with continuous
 * sequence numbers and timestamps, and the recording's output fills gaps with Opus silence.
 * RelayOutput is driven directly; what it would hand to mediasoup is captured.
 */
import type { types } from 'mediasoup';
import { describe, expect, it } from 'vitest';
import { RelayOutput } from './talkback-relay.ts';

function sink() {
  const sent: Buffer[] = [];
  const producer = { closed: false, send: (b: Buffer) => sent.push(b) } as unknown as types.Producer;
  return { sent, out: new RelayOutput(producer, 0xabcdef, 100) };
}

const rtp = (ssrc: number, seq: number, ts: number, payload = [1, 2, 3]) => {
  const b = Buffer.alloc(12 + payload.length);
  b[0] = 0x80;
  b[1] = 100;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(ts, 4);
  b.writeUInt32BE(ssrc, 8);
  Buffer.from(payload).copy(b, 12);
  return b;
};
const head = (b: Buffer) => ({ seq: b.readUInt16BE(2), ts: b.readUInt32BE(4), ssrc: b.readUInt32BE(8) });

describe('talkback relay output', () => {
  it('[K2] a second speaker continues the first one’s SSRC, sequence and timestamps', () => {
    const { sent, out } = sink();
    out.forward(rtp(1, 500, 10_000));
    out.forward(rtp(1, 501, 10_960));
    out.forward(rtp(2, 9, 777_000)); // another speaker, its own numbering
    out.forward(rtp(2, 10, 777_960));
    const h = sent.map(head);
    expect(new Set(h.map((x) => x.ssrc))).toEqual(new Set([0xabcdef]));
    for (let i = 1; i < h.length; i++) {
      expect((h[i]!.seq - h[i - 1]!.seq + 0x10000) % 0x10000).toBe(1);
      expect(h[i]!.ts - h[i - 1]!.ts).toBe(960);
    }
    expect([...sent[3]!.subarray(12)]).toEqual([1, 2, 3]); // the payload is untouched
  });

  it('[K6] silence is an Opus frame with the relay’s payload type, only when nobody spoke lately', () => {
    const { sent, out } = sink();
    out.silence();
    expect(sent).toHaveLength(1);
    expect(sent[0]![1]! & 0x7f).toBe(100);
    expect([...sent[0]!.subarray(12)]).toEqual([0xf8, 0xff, 0xfe]);
    out.forward(rtp(1, 1, 5000));
    out.silence(); // a speaker just spoke: no silence on top of the voice
    expect(sent).toHaveLength(2);
  });
});
