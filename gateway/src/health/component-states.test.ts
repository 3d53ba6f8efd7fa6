import { describe, expect, it } from 'vitest';
import { createMetrics } from '../metrics.ts';
import { backgroundProbe } from './background-probe.ts';
import { createComponentStates } from './component-states.ts';
import { prometheusText } from './prometheus-text.ts';

describe('component states', () => {
  it('moves since only when a component flips, not when its reason changes', () => {
    let t = 1000;
    const s = createComponentStates(['live', 'database'], () => t);
    t = 2000;
    expect(s.set('database', 'database_unreachable')).toBe(true);
    t = 3000;
    expect(s.set('database', 'persist_backlog')).toBe(false);
    expect(s.list().find((c) => c.component === 'database')).toEqual({
      component: 'database',
      degraded: true,
      since: 2000,
      reason: 'persist_backlog',
    });
    t = 4000;
    expect(s.set('database', null)).toBe(true);
    expect(s.list().find((c) => c.component === 'database')).toMatchObject({ degraded: false, since: 4000 });
    expect(s.list().find((c) => c.component === 'live')).toMatchObject({ degraded: false, since: 1000 });
  });

  it('ignores components it does not watch', () => {
    const s = createComponentStates(['live']);
    expect(s.set('video', 'sfu_unreachable')).toBe(false);
    expect(s.list().map((c) => c.component)).toEqual(['live']);
  });
});

describe('background probe', () => {
  it('counts a check that hangs past its timeout as failed without starting another', async () => {
    let t = 0;
    let started = 0;
    const p = backgroundProbe(
      () => {
        started++;
        return new Promise(() => {});
      },
      1000,
      () => t,
    );
    p.tick();
    expect(p.ok()).toBeNull();
    t = 1500;
    p.tick();
    expect(p.ok()).toBe(false);
    expect(started).toBe(1);
  });

  it('reports an answered check, then a refused one', async () => {
    let fail = false;
    const p = backgroundProbe(async () => {
      if (fail) throw new Error('refused');
    }, 1000);
    p.tick();
    await new Promise((r) => setTimeout(r, 0));
    expect(p.ok()).toBe(true);
    fail = true;
    p.tick();
    await new Promise((r) => setTimeout(r, 0));
    expect(p.ok()).toBe(false);
  });
});

describe('prometheus text', () => {
  it('has a degraded gauge and a since gauge per component', () => {
    const text = prometheusText(
      [
        { component: 'database', degraded: true, since: 1_700_000_000_000, reason: 'database_unreachable' },
        { component: 'live', degraded: false, since: 5, reason: null },
      ],
      createMetrics(),
      { persistQueue: 7, instance: 'gw1' },
    );
    expect(text).toContain(
      'lagebild_degraded{component="database",instance_id="gw1",reason="database_unreachable"} 1',
    );
    expect(text).toContain('lagebild_degraded{component="live",instance_id="gw1",reason=""} 0');
    expect(text).toContain(
      'lagebild_degraded_since_seconds{component="database",instance_id="gw1"} 1700000000',
    );
    expect(text).toContain('lagebild_degraded_since_seconds{component="live",instance_id="gw1"} 0');
    expect(text).toContain('lagebild_persist_queue{instance_id="gw1"} 7');
  });
});
