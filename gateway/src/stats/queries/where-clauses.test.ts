import { TENANT_TIME_ZONE } from '@lagebild/stats';
import { describe, expect, it } from 'vitest';
import { episodeWhere, officerHoursWhere, recordingSelection } from './where-clauses.ts';

const MARCH = { from: '2026-03-02', to: '2026-03-29' };

describe('episodeWhere', () => {
  it('selects the tenant’s closed episodes of the period, every value a parameter', () => {
    const w = episodeWhere('t1', { ...MARCH, team: "Team A'; --" });
    expect(w.text).toBe('tenant_id = $1 AND closed AND local_day BETWEEN $2 AND $3 AND team = $4');
    expect(w.values).toEqual(['t1', '2026-03-02', '2026-03-29', "Team A'; --"]);
  });

  it('reads "unreported" as an episode without context, any other context as the enum', () => {
    expect(episodeWhere('t1', { ...MARCH, context: 'unreported' }).text).toMatch(/ AND context IS NULL$/);
    const w = episodeWhere('t1', { ...MARCH, context: 'large_event' });
    expect(w.text).toMatch(/ AND context = \$4::"IncidentContext"$/);
    expect(w.values[3]).toBe('large_event');
  });

  it('filters weekday and hour by the local values fixed at derivation', () => {
    expect(episodeWhere('t1', { ...MARCH, weekday: 6 }).text).toMatch(/ AND local_weekday = \$4$/);
    expect(episodeWhere('t1', { ...MARCH, hour: 22 }).text).toMatch(/ AND local_hour = \$4$/);
  });
});

describe('officerHoursWhere', () => {
  it('reads the team from the table it is told (the unit’s for open shifts), the rest from the slice', () => {
    const w = officerHoursWhere({ ...MARCH, team: 'Team A' }, { slice: 's', team: 'u' });
    expect(w.text).toBe('s.local_day BETWEEN $1 AND $2 AND u.team = $3');
    expect(w.values).toEqual(['2026-03-02', '2026-03-29', 'Team A']);
  });

  it('ignores a context filter: officer-hours have none', () => {
    const w = officerHoursWhere({ ...MARCH, context: 'other' }, { slice: 'o', team: 'o' });
    expect(w.text).toBe('o.local_day BETWEEN $1 AND $2');
  });
});

describe('recordingSelection', () => {
  it('bounds the start by the local days, the zone a parameter from TENANT_TIME_ZONE', () => {
    const { joins, where } = recordingSelection('t1', { ...MARCH, hour: 22 });
    expect(joins.text).toBe('');
    expect(where.text).not.toContain(TENANT_TIME_ZONE);
    expect(where.text).toBe(
      'r.tenant_id = $1 AND r.started_at >= ($2::date::timestamp AT TIME ZONE $3::text)' +
        ' AND r.started_at < (($4::date + 1)::timestamp AT TIME ZONE $5::text)' +
        ' AND extract(hour FROM (r.started_at AT TIME ZONE $6::text)) = $7',
    );
    expect(where.values).toEqual([
      't1',
      '2026-03-02',
      TENANT_TIME_ZONE,
      '2026-03-29',
      TENANT_TIME_ZONE,
      TENANT_TIME_ZONE,
      22,
    ]);
  });

  it('joins the team of the unit’s shift for a team and the camera’s episode for a context', () => {
    const team = recordingSelection('t1', { ...MARCH, team: 'Team B' });
    expect(team.joins.text).toMatch(
      /^JOIN LATERAL \(\s+SELECT s\.team FROM shifts s\s+WHERE s\.unit_id = r\.unit_id/,
    );
    expect(team.where.text).toMatch(/ AND rs\.team = \$6$/);
    const context = recordingSelection('t1', { ...MARCH, context: 'unreported' });
    expect(context.joins.text).toMatch(/^JOIN LATERAL \(/);
    expect(context.where.text).toMatch(/ AND ep\.context IS NULL$/);
  });
});
