/** The RFC 3161 query the anchoring job sends is what openssl reads as one; a refusal is read as one. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTimestampReply, timestampQuery } from './tsa.ts';

describe('RFC 3161 messages', () => {
  it('timestampQuery() is a version-1 SHA-256 query with certReq that openssl ts parses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lagebild-tsq-'));
    try {
      const file = join(dir, 'q.tsq');
      writeFileSync(file, timestampQuery('{"seq":1}'));
      const text = execFileSync('openssl', ['ts', '-query', '-in', file, '-text']).toString();
      expect(text).toMatch(/Version: 1/);
      expect(text).toMatch(/Hash Algorithm: sha256/);
      expect(text).toMatch(/Certificate required: yes/);
      // byte for byte the query openssl itself makes for the same data (no nonce, certificate requested)
      writeFileSync(join(dir, 'data'), '{"seq":1}');
      execFileSync('openssl', [
        'ts',
        '-query',
        '-data',
        join(dir, 'data'),
        '-sha256',
        '-no_nonce',
        '-cert',
        '-out',
        join(dir, 'o.tsq'),
      ]);
      expect(readFileSync(join(dir, 'o.tsq')).equals(timestampQuery('{"seq":1}'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('readTimestampReply() reads a rejection (status 2, no token) as such', () => {
    // TimeStampResp { PKIStatusInfo { status 2 } }
    const reply = Buffer.from([0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02]);
    expect(readTimestampReply(reply)).toEqual({ status: 2, genTime: null });
    expect(() => readTimestampReply(Buffer.from([0x04, 0x00]))).toThrow(/not a TimeStampResp/);
  });
});
