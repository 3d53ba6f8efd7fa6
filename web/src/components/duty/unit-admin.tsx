'use client';
/**
 * The Dienst page's units: create one in an active team, rename it, move it to another team,
 * deactivate and reactivate it (a unit on duty stays active; its shift keeps its team).
 */
import { type DutyTeam, type DutyUnit, UnitAdminResponse } from '@lagebild/protocol';
import { type FormEvent, useId, useState } from 'react';
import { apiPost } from '@/lib/api';
import { DataTable } from '../data-table';
import { usePreferences } from '../preferences-provider';
import { RenameInline } from './rename-inline';
import { ToggleActive } from './team-admin';

export function UnitAdmin({
  units,
  teams,
  onDone,
  describeError,
}: {
  units: readonly DutyUnit[];
  teams: readonly DutyTeam[];
  onDone(message: string): void;
  describeError(err: unknown): string;
}) {
  const { t } = usePreferences();
  const id = useId();
  const activeTeams = teams.filter((x) => x.active);
  const [callsign, setCallsign] = useState('');
  const [teamId, setTeamId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const team = teamId || activeTeams[0]?.id;
    if (!callsign.trim() || !team) return setError(t('duty.units.callsign'));
    setBusy(true);
    setError(null);
    try {
      const res = await apiPost(
        '/api/duty/units',
        { callsign: callsign.trim(), teamId: team },
        UnitAdminResponse,
      );
      setCallsign('');
      onDone(t('duty.units.created', { callsign: res.unit.callsign }));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  async function change(unit: DutyUnit, body: { callsign?: string; teamId?: string; active?: boolean }) {
    try {
      const res = await apiPost(`/api/duty/units/${encodeURIComponent(unit.id)}`, body, UnitAdminResponse);
      onDone(t('duty.units.changed', { callsign: res.unit.callsign }));
    } catch (err) {
      throw new Error(describeError(err));
    }
  }
  const report = (e: Error) => setError(e.message);

  return (
    <section aria-labelledby={`${id}-title`} className="card">
      <h2 id={`${id}-title`}>{t('duty.units.title')}</h2>
      <form className="inline-form" onSubmit={create} noValidate>
        <div className="field field-grow">
          <label htmlFor={`${id}-callsign`}>{t('duty.units.callsign')}</label>
          <input
            id={`${id}-callsign`}
            value={callsign}
            maxLength={40}
            autoComplete="off"
            aria-describedby={`${id}-error`}
            onChange={(e) => setCallsign(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-team`}>{t('duty.units.team')}</label>
          <select id={`${id}-team`} value={teamId} onChange={(e) => setTeamId(e.target.value)}>
            {activeTeams.map((team) => (
              <option key={team.id} value={team.id}>
                {team.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button button-primary" disabled={busy || activeTeams.length === 0}>
          {t('duty.units.create')}
        </button>
      </form>
      <div id={`${id}-error`} role="alert" className="form-error">
        {error}
      </div>
      {units.length === 0 ? (
        <p className="muted">{t('duty.units.empty')}</p>
      ) : (
        <DataTable
          columns={[t('duty.col.unit'), t('duty.col.team'), t('duty.col.status'), t('duty.col.actions')]}
        >
          {units.map((unit) => (
            <tr key={unit.id} className={unit.active ? undefined : 'is-revoked'}>
              <th scope="row">{unit.callsign}</th>
              <td>
                <select
                  aria-label={t('duty.units.moveTo', { callsign: unit.callsign })}
                  value={teams.find((x) => x.name === unit.team)?.id ?? ''}
                  onChange={(e) => change(unit, { teamId: e.target.value }).catch(report)}
                >
                  {teams
                    .filter((x) => x.active || x.name === unit.team)
                    .map((team) => (
                      <option key={team.id} value={team.id}>
                        {team.name}
                      </option>
                    ))}
                </select>
              </td>
              <td>{unit.shift ? t('duty.onShift') : unit.active ? t('duty.active') : t('duty.inactive')}</td>
              <td className="row-actions">
                <RenameInline
                  name={unit.callsign}
                  maxLength={40}
                  onSave={(next) => change(unit, { callsign: next })}
                />
                <ToggleActive
                  active={unit.active}
                  name={unit.callsign}
                  onToggle={() => change(unit, { active: !unit.active }).catch(report)}
                />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
