'use client';
/**
 * Starting a shift: a unit, a camera (picked from the free ones, or its label typed or scanned: a
 * barcode scanner is a keyboard that ends with Enter, which submits the form) and the officer's
 * pseudonymous personnel number. When another supervisor was faster, the board is loaded again
 * and the refusal names the unit that has the camera now, who handed it out and since when.
 */
import { type DutyBoardResponse, PersonnelNumber, ShiftResponse } from '@lagebild/protocol';
import { type FormEvent, useId, useState } from 'react';
import { ApiError, apiPost } from '@/lib/api';
import { formatClock } from '@/lib/format';
import { usePreferences } from '../preferences-provider';

export function StartShiftForm({
  board,
  reload,
  onDone,
  describeError,
}: {
  board: DutyBoardResponse;
  reload(): Promise<DutyBoardResponse | null>;
  onDone(message: string): void;
  describeError(err: unknown): string;
}) {
  const { t, lang } = usePreferences();
  const id = useId();
  const [unitId, setUnitId] = useState('');
  const [deviceId, setDeviceId] = useState('');
  const [label, setLabel] = useState('');
  const [personnel, setPersonnel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const freeUnits = board.units.filter((u) => u.active && u.shift === null);
  const freeCameras = board.cameras.filter((c) => c.shiftId === null);

  async function explainConflict(typedLabel: string, chosenUnit: string): Promise<string | null> {
    const fresh = await reload();
    if (!fresh) return null;
    const wanted = typedLabel.trim().toLowerCase();
    const holder = fresh.units.find(
      (u) =>
        u.shift &&
        u.id !== chosenUnit &&
        (u.shift.deviceId === deviceId || (wanted !== '' && u.shift.deviceLabel.toLowerCase() === wanted)),
    )?.shift;
    const params = (s: NonNullable<typeof holder>) => ({
      camera: s.deviceLabel,
      callsign: s.callsign,
      by: s.startedBy ?? t('duty.system'),
      since: formatClock(s.startedAt, lang),
    });
    if (holder) return t('duty.start.taken', params(holder));
    const own = fresh.units.find((u) => u.id === chosenUnit)?.shift;
    return own ? t('duty.start.unitBusy', params(own)) : null;
  }

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const typed = label.trim();
    if (!unitId) return setError(t('duty.start.needUnit'));
    if (!deviceId && !typed) return setError(t('duty.start.needCamera'));
    if (!PersonnelNumber.safeParse(personnel).success) return setError(t('duty.start.needPersonnel'));
    setBusy(true);
    setError(null);
    try {
      const { shift } = await apiPost(
        '/api/duty/shifts',
        {
          unitId,
          ...(typed ? { deviceLabel: typed } : { deviceId }),
          personnelNumber: personnel.trim(),
        },
        ShiftResponse,
      );
      setUnitId('');
      setDeviceId('');
      setLabel('');
      setPersonnel('');
      onDone(t('duty.start.done', { callsign: shift.callsign, camera: shift.deviceLabel }));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'conflict')
        setError((await explainConflict(typed, unitId)) ?? describeError(err));
      else if (err instanceof ApiError && err.code === 'not_found' && typed)
        setError(t('duty.start.unknownLabel', { label: typed }));
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const errorId = `${id}-error`;
  return (
    <section aria-labelledby={`${id}-title`} className="card">
      <h2 id={`${id}-title`}>{t('duty.start.title')}</h2>
      <form className="inline-form duty-start" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-unit`}>{t('duty.start.unit')}</label>
          <select
            id={`${id}-unit`}
            value={unitId}
            aria-describedby={errorId}
            onChange={(e) => setUnitId(e.target.value)}
          >
            <option value="">
              {freeUnits.length ? t('duty.start.unit.choose') : t('duty.start.unit.none')}
            </option>
            {freeUnits.map((u) => (
              <option key={u.id} value={u.id}>
                {u.callsign} ({u.team})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-camera`}>{t('duty.start.camera')}</label>
          <select
            id={`${id}-camera`}
            value={deviceId}
            disabled={label.trim() !== ''}
            onChange={(e) => setDeviceId(e.target.value)}
          >
            <option value="">
              {freeCameras.length ? t('duty.start.camera.choose') : t('duty.start.camera.none')}
            </option>
            {freeCameras.map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-label`}>{t('duty.start.scan')}</label>
          <input
            id={`${id}-label`}
            value={label}
            maxLength={100}
            autoComplete="off"
            aria-describedby={`${id}-label-hint`}
            onChange={(e) => setLabel(e.target.value)}
          />
          <span id={`${id}-label-hint`} className="field-hint">
            {t('duty.start.scan.hint')}
          </span>
        </div>
        <div className="field">
          <label htmlFor={`${id}-personnel`}>{t('duty.start.personnel')}</label>
          <input
            id={`${id}-personnel`}
            value={personnel}
            maxLength={32}
            autoComplete="off"
            spellCheck={false}
            aria-describedby={`${id}-personnel-hint ${errorId}`}
            onChange={(e) => setPersonnel(e.target.value)}
          />
          <span id={`${id}-personnel-hint`} className="field-hint">
            {t('duty.start.personnel.hint')}
          </span>
        </div>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? t('duty.start.busy') : t('duty.start.submit')}
        </button>
      </form>
      <div id={errorId} role="alert" className="form-error" data-testid="duty-start-error">
        {error}
      </div>
    </section>
  );
}
