import type { LiveStream, VideoEvent } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { makeAlert, makeIncident, uuidOf } from './dispatch-test-fixtures.ts';
import {
  AUTO_OPEN_WAIT_MS,
  applyAutoOpen,
  applyLiveEvent,
  bringToFront,
  closeTile,
  EMPTY_WALL,
  incidentFor,
  layoutFor,
  noteVideoEvent,
  openTile,
  visibleTiles,
  type WallState,
} from './video-wall.ts';

const device = (n: number) => uuidOf(0, n);
const stream = (n: number): LiveStream => ({
  deviceId: device(n),
  kinds: ['audio', 'video'],
  videoCodec: 'video/VP8',
  since: 1000,
});
const up = (n: number): VideoEvent => ({
  type: 'producer_up',
  tenantId: uuidOf(0x90, 1),
  deviceId: device(n),
  sfuId: 'sfu-1',
  stream: stream(n),
  at: 1000,
});
const manual = (n: number) => ({
  deviceId: device(n),
  reason: { kind: 'situation_assessment' as const },
  openedAt: 0,
  auto: false,
});

describe('video wall', () => {
  it('opens a tile by itself when a unit streams and its incident is open, with the incident as reason', () => {
    const incident = makeIncident(1, { kind: 'recording' });
    const live = applyLiveEvent(new Map(), up(1));
    let wall = noteVideoEvent(EMPTY_WALL, up(1), 1000);
    // the stream came before its incident: the tile waits
    wall = applyAutoOpen(wall, live, [], [], 1500);
    expect(wall.tiles).toEqual([]);
    wall = applyAutoOpen(wall, live, [incident], [makeAlert(1)], 2000);
    expect(wall.tiles).toEqual([
      {
        deviceId: device(1),
        reason: { kind: 'incident', incidentId: incident.id },
        openedAt: 2000,
        auto: true,
      },
    ]);
    expect(wall.pendingAuto.size).toBe(0);
  });

  it('does not open a tile without an incident; the stream stays available to open by hand', () => {
    const live = applyLiveEvent(new Map(), up(2));
    let wall = noteVideoEvent(EMPTY_WALL, up(2), 0);
    wall = applyAutoOpen(wall, live, [], [], AUTO_OPEN_WAIT_MS + 1);
    expect(wall.tiles).toEqual([]);
    expect(wall.pendingAuto.size).toBe(0);
    expect(live.has(device(2))).toBe(true);
  });

  it('does not reopen a tile the user closed for the same incident, but does for a new one', () => {
    const first = makeIncident(3);
    const live = applyLiveEvent(new Map(), up(3));
    let wall = applyAutoOpen(noteVideoEvent(EMPTY_WALL, up(3), 0), live, [first], [], 1);
    wall = closeTile(wall, device(3));
    expect(wall.tiles).toEqual([]);
    // the stream recovers after a router reset: same incident, stays closed
    wall = applyAutoOpen(noteVideoEvent(wall, up(3), 10), live, [first], [], 11);
    expect(wall.tiles).toEqual([]);
    const second = { ...makeIncident(3), id: uuidOf(0x21, 3), openedAt: 50_000 };
    wall = applyAutoOpen(noteVideoEvent(wall, up(3), 60_000), live, [second], [], 60_001);
    expect(wall.tiles.map((t) => t.reason.incidentId)).toEqual([second.id]);
  });

  it('grows the layout for automatic tiles and keeps extra tiles hidden when the user picks a smaller one', () => {
    let wall: WallState = { ...EMPTY_WALL, layout: 1 };
    wall = openTile(wall, { ...manual(1), auto: true });
    wall = openTile(wall, { ...manual(2), auto: true });
    expect(wall.layout).toBe(4);
    wall = { ...wall, layout: 1 };
    expect(visibleTiles(wall).shown.map((t) => t.deviceId)).toEqual([device(1)]);
    expect(visibleTiles(wall).hidden.map((t) => t.deviceId)).toEqual([device(2)]);
    wall = bringToFront(wall, device(2));
    expect(visibleTiles(wall).shown.map((t) => t.deviceId)).toEqual([device(2)]);
  });

  it('takes at most nine tiles', () => {
    let wall = EMPTY_WALL;
    for (let n = 1; n <= 10; n++) wall = openTile(wall, manual(n));
    expect(wall.tiles).toHaveLength(9);
    expect(wall.layout).toBe(9);
    expect(layoutFor(5)).toBe(9);
    expect(layoutFor(1)).toBe(1);
  });

  it('prefers the incident with an unacknowledged alert', () => {
    const old = makeIncident(4, { openedAt: 1 });
    const newer = { ...makeIncident(4), id: uuidOf(0x22, 4), openedAt: 2 };
    expect(incidentFor(device(4), [old, newer], [])?.id).toBe(newer.id);
    expect(incidentFor(device(4), [old, newer], [makeAlert(4)])?.id).toBe(old.id);
    expect(incidentFor(device(4), [{ ...old, status: 'closed' }], [])).toBeNull();
  });

  it('lists a stream until it is unpublished; a reset keeps it listed', () => {
    let live = applyLiveEvent(new Map(), up(5));
    const down = (reason: 'worker_died' | 'unpublished'): VideoEvent => ({
      type: 'producer_down',
      tenantId: uuidOf(0x90, 1),
      deviceId: device(5),
      sfuId: 'sfu-1',
      reason,
      at: 2,
    });
    live = applyLiveEvent(live, down('worker_died'));
    expect(live.has(device(5))).toBe(true);
    live = applyLiveEvent(live, down('unpublished'));
    expect(live.has(device(5))).toBe(false);
  });
});
