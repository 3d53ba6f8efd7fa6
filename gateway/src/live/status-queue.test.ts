import type { DeviceStatus } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import type { StatusRecord } from './status-persister.ts';
import { TenantQueues } from './status-queue.ts';

function rec(tenantId: string, device: string, seq: number): StatusRecord {
  return { tenantId, deviceId: device, unitId: null, receivedAt: seq, status: { seq } as DeviceStatus };
}
const fill = (q: TenantQueues, tenantId: string, n: number) => {
  for (let i = 1; i <= n; i++) q.admit(rec(tenantId, `${tenantId}-d`, i));
};

describe('TenantQueues', () => {
  it('gives a tenant alone half of the queue and keeps a part free for a newcomer', () => {
    const q = new TenantQueues(100);
    expect(q.share('a')).toBe(50);
    fill(q, 'a', 60);
    expect(q.size).toBe(50);
    expect(q.admit(rec('a', 'a-d', 61))).toBeNull();
    // a second tenant still gets in, and shares shrink to a third each
    expect(q.admit(rec('b', 'b-d', 1))).not.toBeNull();
    expect(q.share('c')).toBe(25);
  });

  it('lets a resend join its queued event instead of queuing it twice', () => {
    const q = new TenantQueues(10);
    const first = q.admit(rec('a', 'd1', 7));
    expect(q.admit(rec('a', 'd1', 7))).toBe(first);
    expect(q.size).toBe(1);
  });

  it('takes one event from each tenant in turn, oldest first, so a small tenant is not stuck behind a flood', () => {
    const q = new TenantQueues(10_000);
    fill(q, 'flood', 1000);
    q.admit(rec('small', 's1', 1));
    const batch = q.nextBatch(4);
    expect(batch.map((p) => [p.rec.tenantId, p.rec.status.seq])).toEqual([
      ['flood', 1],
      ['small', 1],
      ['flood', 2],
      ['flood', 3],
    ]);
  });

  it('starts each batch with the next tenant, so none is always last', () => {
    const q = new TenantQueues(100);
    fill(q, 'a', 3);
    fill(q, 'b', 3);
    expect(q.nextBatch(1)[0]!.rec.tenantId).toBe('a');
    expect(q.nextBatch(1)[0]!.rec.tenantId).toBe('b');
  });

  it('forgets a tenant whose events are all settled, and returns the rest on clear()', () => {
    const q = new TenantQueues(100);
    fill(q, 'a', 2);
    q.admit(rec('b', 'b-d', 1));
    for (const p of q.nextBatch(10).filter((p) => p.rec.tenantId === 'b')) q.settle(p);
    expect(q.size).toBe(2);
    expect(q.share('b')).toBe(q.share('c')); // b is a newcomer again
    expect(q.clear()).toHaveLength(2);
    expect(q.size).toBe(0);
    expect(q.nextBatch(10)).toEqual([]);
  });
});
