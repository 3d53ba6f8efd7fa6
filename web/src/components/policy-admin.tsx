'use client';
/**
 * /admin/policies/: the tenant's policies — retention period, pre-recording, which events open an
 * incident by themselves, alert escalation, answer time of a dispatch request. Shows the current
 * values and the last change (from the audit log); a change needs a reason and a confirmation that
 * spells out what changes (and what a shorter or longer retention period does to existing
 * recordings). Admins only; the gateway enforces that and the bounds too.
 */
import {
  type AutoIncidentTrigger,
  type MeResponse,
  POLICY_LIMITS,
  PoliciesResponse,
  PoliciesUpdateResponse,
  type PolicyChange,
  type TenantPolicies,
} from '@lagebild/protocol';
import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import { ApiError, apiGet, apiPut } from '@/lib/api';
import { formatDateTime } from '@/lib/format';
import type { MessageKey } from '@/lib/i18n';
import { plural } from '@/lib/plural';
import { AdminPage } from './admin-page';
import { ForbiddenNotice } from './forbidden-notice';
import { usePreferences } from './preferences-provider';
import { usePageApiError } from './use-page-api-error';

type NumericPolicy = keyof typeof POLICY_LIMITS;
const RECORDING_FIELDS: NumericPolicy[] = ['retentionDays', 'prerecordS'];
const INCIDENT_FIELDS: NumericPolicy[] = ['alertEscalateAfterS', 'dispatchAnswerTimeoutS'];
const NUMERIC: NumericPolicy[] = [...RECORDING_FIELDS, ...INCIDENT_FIELDS];
const TRIGGERS: AutoIncidentTrigger[] = ['emergency', 'recording'];
const ORDER: (keyof TenantPolicies)[] = [
  'retentionDays',
  'prerecordS',
  'autoIncidentOn',
  'alertEscalateAfterS',
  'dispatchAnswerTimeoutS',
];

interface Draft {
  numbers: Record<NumericPolicy, string>;
  autoIncidentOn: AutoIncidentTrigger[];
  reason: string;
}
type Changes = Partial<TenantPolicies>;

const draftOf = (p: TenantPolicies): Draft => ({
  numbers: {
    retentionDays: String(p.retentionDays),
    prerecordS: String(p.prerecordS),
    alertEscalateAfterS: String(p.alertEscalateAfterS),
    dispatchAnswerTimeoutS: String(p.dispatchAnswerTimeoutS),
  },
  autoIncidentOn: TRIGGERS.filter((k) => p.autoIncidentOn.includes(k)),
  reason: '',
});

export function PolicyAdmin({ me }: { me: MeResponse }) {
  return (
    <AdminPage me={me}>
      <PolicyAdminContent />
    </AdminPage>
  );
}

type LoadState =
  | { kind: 'loading' }
  | { kind: 'ready'; policies: TenantPolicies; lastChange: PolicyChange | null }
  | { kind: 'error'; message: string };

function PolicyAdminContent() {
  const { t, lang } = usePreferences();
  const [state, setState] = useState<LoadState>({ kind: 'loading' });
  const [notice, setNotice] = useState<string | null>(null);
  const { forbidden, describeError } = usePageApiError();
  const handleError = useCallback(
    (err: unknown): string =>
      err instanceof ApiError && err.code === 'bad_request' && err.issues.length > 0
        ? t('policies.error.server', { message: err.issues.join('; ') })
        : describeError(err),
    [describeError, t],
  );

  const load = useCallback(() => {
    apiGet('/api/admin/policies', PoliciesResponse).then(
      (res) => setState({ kind: 'ready', policies: res.policies, lastChange: res.lastChange }),
      (err: unknown) => setState({ kind: 'error', message: handleError(err) }),
    );
  }, [handleError]);

  useEffect(load, [load]);

  if (forbidden) return <ForbiddenNotice message={t('forbidden.admin')} />;

  return (
    <div className="admin-page">
      <h1>{t('policies.title')}</h1>
      <p className="muted">{t('policies.intro')}</p>
      <p role="status" className="notice-line" data-testid="policies-notice">
        {notice}
      </p>
      {state.kind === 'loading' && <p className="muted">{t('policies.loading')}</p>}
      {state.kind === 'error' && (
        <div role="alert" className="form-error">
          <p>{state.message}</p>
          <button type="button" className="button" onClick={load}>
            {t('app.retry')}
          </button>
        </div>
      )}
      {state.kind === 'ready' && (
        <>
          <LastChange change={state.lastChange} />
          <PolicyForm
            current={state.policies}
            describeError={handleError}
            onEdit={() => setNotice(null)}
            onSaved={(res) => {
              setState({ kind: 'ready', policies: res.policies, lastChange: res.lastChange });
              setNotice(
                res.recordingsShortened > 0
                  ? plural(t, lang, 'policies.saved.shortened', res.recordingsShortened, {
                      count: res.recordingsShortened,
                    })
                  : t('policies.saved'),
              );
            }}
          />
        </>
      )}
    </div>
  );
}

function LastChange({ change }: { change: PolicyChange | null }) {
  const { t, lang } = usePreferences();
  return (
    <p className="muted" data-testid="policies-last-change">
      {change
        ? t('policies.lastChange', {
            time: formatDateTime(change.at, lang),
            actor: change.actor ?? '—',
            reason: change.reason ?? '',
          })
        : t('policies.neverChanged')}
    </p>
  );
}

function PolicyForm({
  current,
  describeError,
  onEdit,
  onSaved,
}: {
  current: TenantPolicies;
  describeError(err: unknown): string;
  onEdit(): void;
  onSaved(res: PoliciesUpdateResponse): void;
}) {
  const { t } = usePreferences();
  const id = useId();
  const [draft, setDraft] = useState<Draft>(() => draftOf(current));
  const [errors, setErrors] = useState<Partial<Record<NumericPolicy | 'reason', string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Changes | null>(null);

  // after a save the current values change: the form shows them again, with an empty reason
  useEffect(() => setDraft(draftOf(current)), [current]);

  const fieldId = (k: string) => `${id}-${k}`;
  const label = (k: keyof TenantPolicies) => t(`policies.${k}` as MessageKey);

  function edit(next: Partial<Draft>) {
    setDraft((d) => ({ ...d, ...next }));
    setFormError(null);
    onEdit();
  }

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const found: typeof errors = {};
    const changes: Changes = {};
    for (const k of NUMERIC) {
      const { min, max } = POLICY_LIMITS[k];
      const raw = draft.numbers[k].trim();
      const n = Number(raw);
      if (!/^-?\d+$/.test(raw) || n < min || n > max) {
        found[k] = t('policies.error.range', { field: label(k), min, max });
      } else if (n !== current[k]) changes[k] = n;
    }
    if (draft.autoIncidentOn.join() !== TRIGGERS.filter((k) => current.autoIncidentOn.includes(k)).join())
      changes.autoIncidentOn = draft.autoIncidentOn;
    const reason = draft.reason.trim();
    if (reason.length < 5 || reason.length > 500) found.reason = t('policies.error.reason');
    setErrors(found);
    const firstBad = [...NUMERIC, 'reason'].find((k) => found[k as keyof typeof found]);
    if (firstBad) {
      setFormError(t('policies.error.summary'));
      document.getElementById(fieldId(firstBad))?.focus();
      return;
    }
    if (Object.keys(changes).length === 0) {
      setFormError(t('policies.error.nothing'));
      return;
    }
    setFormError(null);
    setConfirming(changes);
  }

  const numberField = (k: NumericPolicy) => {
    const { min, max } = POLICY_LIMITS[k];
    const error = errors[k];
    return (
      <div className="field" key={k}>
        <label htmlFor={fieldId(k)}>{label(k)}</label>
        <input
          id={fieldId(k)}
          name={k}
          type="number"
          inputMode="numeric"
          min={min}
          max={max}
          step={1}
          required
          value={draft.numbers[k]}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${fieldId(k)}-hint ${fieldId(k)}-error`}
          onChange={(e) => edit({ numbers: { ...draft.numbers, [k]: e.target.value } })}
        />
        <span id={`${fieldId(k)}-hint`} className="field-hint">
          {t(`policies.${k}.hint` as MessageKey, { min, max })}
        </span>
        <span id={`${fieldId(k)}-error`} className="field-error">
          {error}
        </span>
      </div>
    );
  };

  return (
    <section aria-labelledby={`${id}-title`} className="card">
      <h2 id={`${id}-title`}>{t('policies.form.title')}</h2>
      <form className="policy-form" onSubmit={submit} noValidate>
        <div className="policy-grid">
          <fieldset>
            <legend>{t('policies.section.recordings')}</legend>
            {RECORDING_FIELDS.map(numberField)}
          </fieldset>
          <fieldset>
            <legend>{t('policies.section.incidents')}</legend>
            <fieldset className="check-group" aria-describedby={`${id}-triggers-hint`}>
              <legend>{label('autoIncidentOn')}</legend>
              {TRIGGERS.map((k) => (
                <label key={k} className="check-option">
                  <input
                    type="checkbox"
                    name="autoIncidentOn"
                    value={k}
                    checked={draft.autoIncidentOn.includes(k)}
                    onChange={(e) =>
                      edit({
                        autoIncidentOn: TRIGGERS.filter((x) =>
                          x === k ? e.target.checked : draft.autoIncidentOn.includes(x),
                        ),
                      })
                    }
                  />
                  {t(`policies.trigger.${k}`)}
                </label>
              ))}
              <span id={`${id}-triggers-hint`} className="field-hint">
                {t('policies.autoIncidentOn.hint')}
              </span>
            </fieldset>
            {INCIDENT_FIELDS.map(numberField)}
          </fieldset>
        </div>
        <div className="field">
          <label htmlFor={fieldId('reason')}>{t('policies.reason')}</label>
          <textarea
            id={fieldId('reason')}
            name="reason"
            rows={2}
            maxLength={500}
            required
            value={draft.reason}
            aria-invalid={errors.reason ? true : undefined}
            aria-describedby={`${fieldId('reason')}-hint ${fieldId('reason')}-error`}
            onChange={(e) => edit({ reason: e.target.value })}
          />
          <span id={`${fieldId('reason')}-hint`} className="field-hint">
            {t('policies.reason.hint')}
          </span>
          <span id={`${fieldId('reason')}-error`} className="field-error">
            {errors.reason}
          </span>
        </div>
        <div role="alert" className="form-error">
          {formError}
        </div>
        <div className="button-row">
          <button type="submit" className="button button-primary">
            {t('policies.submit')}
          </button>
          <button
            type="button"
            className="button"
            onClick={() => {
              setDraft(draftOf(current));
              setErrors({});
              setFormError(null);
            }}
          >
            {t('policies.reset')}
          </button>
        </div>
      </form>
      {confirming && (
        <ConfirmDialog
          current={current}
          changes={confirming}
          reason={draft.reason.trim()}
          order={ORDER}
          onClose={() => setConfirming(null)}
          onSaved={(res) => {
            setConfirming(null);
            setErrors({});
            onSaved(res);
          }}
          describeError={describeError}
        />
      )}
    </section>
  );
}

function ConfirmDialog({
  current,
  changes,
  reason,
  order,
  onClose,
  onSaved,
  describeError,
}: {
  current: TenantPolicies;
  changes: Changes;
  reason: string;
  order: (keyof TenantPolicies)[];
  onClose(): void;
  onSaved(res: PoliciesUpdateResponse): void;
  describeError(err: unknown): string;
}) {
  const { t, lang } = usePreferences();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // a modal <dialog> keeps focus inside, closes on Escape and focuses its first button (Cancel)
  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  function show<K extends keyof TenantPolicies>(k: K, v: TenantPolicies[K]): string {
    if (k === 'autoIncidentOn') {
      const on = v as AutoIncidentTrigger[];
      return on.length ? on.map((x) => t(`policies.trigger.${x}`)).join(', ') : t('policies.none');
    }
    if (k === 'retentionDays') return plural(t, lang, 'policies.days', v as number, { n: v as number });
    if (k === 'prerecordS' && v === 0) return t('policies.off');
    return t('policies.seconds', { n: v as number });
  }

  async function save() {
    setBusy(true);
    setError(null);
    try {
      onSaved(await apiPut('/api/admin/policies', { ...changes, reason }, PoliciesUpdateResponse));
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  const retention = changes.retentionDays;
  return (
    <dialog
      ref={dialogRef}
      className="dialog"
      aria-labelledby="policies-confirm-title"
      aria-describedby="policies-confirm-body"
      onClose={onClose}
    >
      <h2 id="policies-confirm-title">{t('policies.confirm.title')}</h2>
      <div id="policies-confirm-body">
        <p>{t('policies.confirm.body')}</p>
        <ul>
          {order
            .filter((k) => changes[k] !== undefined)
            .map((k) => (
              <li key={k}>
                {t('policies.confirm.change', {
                  field: t(`policies.${k}` as MessageKey),
                  old: show(k, current[k]),
                  new: show(k, changes[k] as TenantPolicies[typeof k]),
                })}
              </li>
            ))}
        </ul>
        {retention !== undefined && (
          <p className="warning">
            {retention < current.retentionDays ? t('policies.confirm.shorter') : t('policies.confirm.longer')}
          </p>
        )}
      </div>
      <div role="alert" className="form-error">
        {error}
      </div>
      <div className="button-row">
        <button type="button" className="button" onClick={() => dialogRef.current?.close()}>
          {t('policies.confirm.cancel')}
        </button>
        <button type="button" className="button button-primary" onClick={save} disabled={busy}>
          {busy ? t('policies.saving') : t('policies.confirm.save')}
        </button>
      </div>
    </dialog>
  );
}
