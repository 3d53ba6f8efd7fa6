'use client';
/** The Dienst page's teams: create, rename, deactivate and reactivate (a team with active units stays). */
import { type DutyTeam, TeamResponse } from '@lagebild/protocol';
import { type FormEvent, useId, useState } from 'react';
import { apiPost } from '@/lib/api';
import { DataTable } from '../data-table';
import { usePreferences } from '../preferences-provider';
import { RenameInline } from './rename-inline';

export function TeamAdmin({
  teams,
  onDone,
  describeError,
}: {
  teams: readonly DutyTeam[];
  onDone(message: string): void;
  describeError(err: unknown): string;
}) {
  const { t } = usePreferences();
  const id = useId();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!name.trim()) return setError(t('duty.teams.name'));
    setBusy(true);
    setError(null);
    try {
      const res = await apiPost('/api/duty/teams', { name: name.trim() }, TeamResponse);
      setName('');
      onDone(t('duty.teams.created', { name: res.team.name }));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  async function change(team: DutyTeam, body: { name?: string; active?: boolean }) {
    try {
      const res = await apiPost(`/api/duty/teams/${encodeURIComponent(team.id)}`, body, TeamResponse);
      onDone(t('duty.teams.changed', { name: res.team.name }));
    } catch (err) {
      throw new Error(describeError(err));
    }
  }

  return (
    <section aria-labelledby={`${id}-title`} className="card">
      <h2 id={`${id}-title`}>{t('duty.teams.title')}</h2>
      <form className="inline-form" onSubmit={create} noValidate>
        <div className="field field-grow">
          <label htmlFor={`${id}-name`}>{t('duty.teams.name')}</label>
          <input
            id={`${id}-name`}
            value={name}
            maxLength={60}
            autoComplete="off"
            aria-describedby={`${id}-error`}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <button type="submit" className="button button-primary" disabled={busy}>
          {t('duty.teams.create')}
        </button>
      </form>
      <div id={`${id}-error`} role="alert" className="form-error">
        {error}
      </div>
      {teams.length === 0 ? (
        <p className="muted">{t('duty.teams.empty')}</p>
      ) : (
        <DataTable
          columns={[t('duty.col.team'), t('duty.col.status'), t('duty.col.units'), t('duty.col.actions')]}
        >
          {teams.map((team) => (
            <tr key={team.id} className={team.active ? undefined : 'is-revoked'}>
              <th scope="row">{team.name}</th>
              <td>{team.active ? t('duty.active') : t('duty.inactive')}</td>
              <td>{team.units}</td>
              <td className="row-actions">
                <RenameInline
                  name={team.name}
                  maxLength={60}
                  onSave={(next) => change(team, { name: next })}
                />
                <ToggleActive
                  active={team.active}
                  name={team.name}
                  onToggle={() =>
                    change(team, { active: !team.active }).catch((e: Error) => setError(e.message))
                  }
                />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}

export function ToggleActive({
  active,
  name,
  onToggle,
}: {
  active: boolean;
  name: string;
  onToggle(): void;
}) {
  const { t } = usePreferences();
  const label = active ? t('duty.deactivate') : t('duty.activate');
  return (
    <button type="button" className="button button-small" aria-label={`${label}: ${name}`} onClick={onToggle}>
      {label}
    </button>
  );
}
