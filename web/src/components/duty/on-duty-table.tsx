'use client';
/**
 * The units on duty (camera, pseudonymous personnel number, since when, handed out by whom) with
 * "end shift" behind a confirmation, and the shifts ended in the last 24 hours.
 */
import { type DutyShift, type DutyUnit, ShiftResponse } from '@lagebild/protocol';
import { useState } from 'react';
import { apiPost } from '@/lib/api';
import { formatDateTime } from '@/lib/format';
import { ConfirmDialog } from '../confirm-dialog';
import { DataTable } from '../data-table';
import { usePreferences } from '../preferences-provider';

export function OnDutyTable({
  units,
  onDone,
  describeError,
}: {
  units: readonly DutyUnit[];
  onDone(message: string): void;
  describeError(err: unknown): string;
}) {
  const { t, lang } = usePreferences();
  const [ending, setEnding] = useState<DutyShift | null>(null);
  const shifts = units.flatMap((u) => (u.shift ? [u.shift] : []));
  return (
    <section aria-labelledby="on-duty-title" className="card">
      <h2 id="on-duty-title">{t('duty.onDuty.title')}</h2>
      {shifts.length === 0 ? (
        <p className="muted">{t('duty.onDuty.empty')}</p>
      ) : (
        <DataTable
          columns={[
            t('duty.col.unit'),
            t('duty.col.team'),
            t('duty.col.camera'),
            t('duty.col.personnel'),
            t('duty.col.since'),
            t('duty.col.startedBy'),
            t('duty.col.actions'),
          ]}
        >
          {shifts.map((s) => (
            <tr key={s.id} data-testid={`on-duty-${s.callsign}`}>
              <th scope="row">{s.callsign}</th>
              <td>{s.team}</td>
              <td>{s.deviceLabel}</td>
              <td>
                <code>{s.personnelNumber ?? '–'}</code>
              </td>
              <td>{formatDateTime(s.startedAt, lang)}</td>
              <td>{s.startedBy ?? t('duty.system')}</td>
              <td>
                <button
                  type="button"
                  className="button button-small"
                  aria-label={`${t('duty.end')}: ${s.callsign}`}
                  onClick={() => setEnding(s)}
                >
                  {t('duty.end')}
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {ending && (
        <EndShiftDialog
          shift={ending}
          onClose={() => setEnding(null)}
          onEnded={(s) => {
            setEnding(null);
            onDone(t('duty.end.done', { callsign: s.callsign, camera: s.deviceLabel }));
          }}
          describeError={describeError}
        />
      )}
    </section>
  );
}

function EndShiftDialog({
  shift,
  onClose,
  onEnded,
  describeError,
}: {
  shift: DutyShift;
  onClose(): void;
  onEnded(shift: DutyShift): void;
  describeError(err: unknown): string;
}) {
  const { t } = usePreferences();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function end() {
    setBusy(true);
    setError(null);
    try {
      const res = await apiPost(`/api/duty/shifts/${encodeURIComponent(shift.id)}/end`, {}, ShiftResponse);
      onEnded(res.shift);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }
  return (
    <ConfirmDialog
      id="end-shift"
      title={t('duty.end.confirm.title', { callsign: shift.callsign })}
      body={t('duty.end.confirm.body', { camera: shift.deviceLabel })}
      error={error}
      busy={busy}
      cancelLabel={t('duty.cancel')}
      confirmLabel={t('duty.end')}
      onConfirm={end}
      onClose={onClose}
    />
  );
}

export function EndedShiftsTable({ shifts }: { shifts: readonly DutyShift[] }) {
  const { t, lang } = usePreferences();
  return (
    <section aria-labelledby="ended-title" className="card">
      <h2 id="ended-title">{t('duty.ended.title')}</h2>
      {shifts.length === 0 ? (
        <p className="muted">{t('duty.ended.empty')}</p>
      ) : (
        <DataTable
          columns={[
            t('duty.col.unit'),
            t('duty.col.team'),
            t('duty.col.camera'),
            t('duty.col.since'),
            t('duty.col.ended'),
            t('duty.col.endedBy'),
          ]}
        >
          {shifts.map((s) => (
            <tr key={s.id}>
              <th scope="row">{s.callsign}</th>
              <td>{s.team}</td>
              <td>{s.deviceLabel}</td>
              <td>{formatDateTime(s.startedAt, lang)}</td>
              <td>{s.endedAt === null ? '–' : formatDateTime(s.endedAt, lang)}</td>
              <td>{s.endedBy ?? t('duty.system')}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
