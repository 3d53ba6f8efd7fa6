'use client';
/**
 * /audit/: the audit log for administrators (issue 6): filters by actor, action, target and time
 * range, newest first, paged by sequence number (older = entries before the last one shown). Actors,
 * actions and targets read as names (resolved by the gateway in the admin's tenant), each with its
 * raw id or code beneath, as stored. The chain itself is verified with `npm run verify -- audit`;
 * this view only reads it.
 */
import {
  AUDIT_ROLES,
  AuditAction,
  type AuditEntryView,
  type AuditLabel,
  type MeResponse,
} from '@lagebild/protocol';
import { useRouter } from 'next/navigation';
import { type FormEvent, useCallback, useEffect, useId, useState } from 'react';
import { ApiError } from '@/lib/api';
import { AUDIT_ACTION_LABELS, auditActionText, auditLabelText } from '@/lib/audit-labels';
import { formatDateTime } from '@/lib/format';
import { AUDIT_PAGE, type AuditFilter, listAudit } from '@/lib/recordings-api';
import { DateField } from '../date-field';
import { RolePage } from '../page-frame';
import { usePreferences } from '../preferences-provider';
import './recordings.css';

export function AuditView({ me }: { me: MeResponse }) {
  const { t } = usePreferences();
  return (
    <RolePage me={me} allowed={AUDIT_ROLES.includes(me.user.role)} forbidden={t('forbidden.admin')}>
      <AuditContent />
    </RolePage>
  );
}

type State =
  | { kind: 'loading' }
  | { kind: 'ready'; entries: AuditEntryView[] }
  | { kind: 'error'; message: string };

function AuditContent() {
  const { t, lang } = usePreferences();
  const router = useRouter();
  const id = useId();
  const [draft, setDraft] = useState<AuditFilter>({});
  const [filter, setFilter] = useState<AuditFilter>({});
  // beforeSeq of each page shown so far, so "newer" goes back exactly one page
  const [pages, setPages] = useState<Array<number | undefined>>([undefined]);
  const [state, setState] = useState<State>({ kind: 'loading' });
  const beforeSeq = pages[pages.length - 1];

  const load = useCallback(
    (signal?: AbortSignal) => {
      setState({ kind: 'loading' });
      listAudit({ ...filter, ...(beforeSeq ? { beforeSeq } : {}) }, signal).then(
        (r) => setState({ kind: 'ready', entries: r.entries }),
        (err) => {
          if (err instanceof DOMException && err.name === 'AbortError') return;
          if (err instanceof ApiError && err.code === 'unauthenticated') router.replace('/login/');
          setState({
            kind: 'error',
            message: t('app.error.generic', { message: err instanceof Error ? err.message : String(err) }),
          });
        },
      );
    },
    [filter, beforeSeq, router, t],
  );

  useEffect(() => {
    const ac = new AbortController();
    load(ac.signal);
    return () => ac.abort();
  }, [load]);

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilter(draft);
    setPages([undefined]);
  }
  const set = (patch: Partial<AuditFilter>) => setDraft((f) => ({ ...f, ...patch }));
  const entries = state.kind === 'ready' ? state.entries : [];
  const last = entries[entries.length - 1];
  // every page before this one was full (older is offered only then), so positions count from there
  const offset = (pages.length - 1) * AUDIT_PAGE;

  return (
    <div className="rec-page">
      <div className="rec-main">
        <header className="rec-head">
          <h1>{t('audit.title')}</h1>
          <p className="muted">{t('audit.intro')}</p>
        </header>
        <search aria-label={t('rec.filters')}>
          <form className="rec-filters" onSubmit={apply}>
            <div className="field field-compact">
              <label htmlFor={`${id}-actor`}>{t('audit.filter.actor')}</label>
              <input
                id={`${id}-actor`}
                type="text"
                maxLength={100}
                value={draft.actor ?? ''}
                onChange={(e) => set({ actor: e.target.value || undefined })}
              />
            </div>
            <div className="field field-compact">
              <label htmlFor={`${id}-action`}>{t('audit.filter.action')}</label>
              <select
                id={`${id}-action`}
                value={draft.action ?? ''}
                onChange={(e) => set({ action: e.target.value || undefined })}
              >
                <option value="">{t('rec.filter.all')}</option>
                {AuditAction.options.map((a) => (
                  <option key={a} value={a}>
                    {t(AUDIT_ACTION_LABELS[a])}
                  </option>
                ))}
              </select>
            </div>
            <div className="field field-compact">
              <label htmlFor={`${id}-target`}>{t('audit.filter.target')}</label>
              <input
                id={`${id}-target`}
                type="text"
                maxLength={100}
                value={draft.target ?? ''}
                onChange={(e) => set({ target: e.target.value || undefined })}
              />
            </div>
            <DateField
              id={`${id}-from`}
              kind="dateTime"
              label={t('audit.filter.from')}
              value={draft.from ?? ''}
              onChange={(from) => set({ from: from || undefined })}
            />
            <DateField
              id={`${id}-to`}
              kind="dateTime"
              label={t('audit.filter.to')}
              value={draft.to ?? ''}
              onChange={(to) => set({ to: to || undefined })}
            />
            <button type="submit" className="button button-primary button-small">
              {t('audit.filter.apply')}
            </button>
          </form>
        </search>

        <p role="status" className="muted rec-count">
          {state.kind === 'loading'
            ? t('audit.loading')
            : state.kind === 'ready' && entries.length > 0
              ? t('audit.page', { first: offset + 1, last: offset + entries.length })
              : ''}
        </p>
        {state.kind === 'error' && (
          <p role="alert" className="form-error">
            {state.message}
          </p>
        )}
        {state.kind === 'ready' && entries.length === 0 && <p className="muted">{t('audit.empty')}</p>}
        {entries.length > 0 && (
          <div className="table-scroll">
            <table className="data-table rec-table audit-table">
              <thead>
                <tr>
                  <th scope="col">{t('audit.col.seq')}</th>
                  <th scope="col">{t('audit.col.at')}</th>
                  <th scope="col">{t('audit.col.actor')}</th>
                  <th scope="col">{t('audit.col.action')}</th>
                  <th scope="col">{t('audit.col.target')}</th>
                  <th scope="col">{t('audit.col.reason')}</th>
                  <th scope="col">{t('audit.payload')}</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.seq}>
                    <th scope="row" className="rec-num">
                      {e.seq}
                    </th>
                    <td className="rec-num">{formatDateTime(e.at, lang)}</td>
                    <td>
                      <Named raw={e.actor} label={e.actorLabel} />
                    </td>
                    <td>
                      {auditActionText(e, t)}
                      <code className="table-sub audit-raw">{e.action}</code>
                    </td>
                    <td>
                      <Named raw={e.target} label={e.targetLabel} />
                    </td>
                    <td>
                      {e.reason ?? ''}
                      {e.recipient && (
                        <span className="table-sub">{t('audit.recipient', { recipient: e.recipient })}</span>
                      )}
                    </td>
                    <td>
                      {e.payload && Object.keys(e.payload).length > 0 && (
                        <details className="audit-payload">
                          <summary>
                            <span aria-hidden="true">{t('audit.payload')}</span>
                            <span className="visually-hidden">{t('audit.payloadLabel', { seq: e.seq })}</span>
                          </summary>
                          <pre>{JSON.stringify(e.payload, null, 2)}</pre>
                        </details>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav className="audit-paging" aria-label={t('audit.title')}>
          <button
            type="button"
            className="button button-small"
            disabled={pages.length <= 1}
            onClick={() => setPages((p) => p.slice(0, -1))}
          >
            {t('audit.newer')}
          </button>
          <button
            type="button"
            className="button button-small"
            disabled={entries.length < AUDIT_PAGE || !last}
            onClick={() => last && setPages((p) => [...p, last.seq])}
          >
            {t('audit.older')}
          </button>
        </nav>
      </div>
    </div>
  );
}

/** A resolved name with the raw id, as stored, beneath it; an id the gateway could not name stays raw. */
function Named({ raw, label }: { raw: string | null; label: AuditLabel | undefined }) {
  const { t, lang } = usePreferences();
  if (!raw) return '–';
  if (!label) return <code>{raw}</code>;
  return (
    <>
      {auditLabelText(label, t, lang)}
      <span className="table-sub">
        <span className="visually-hidden">{t('audit.raw')} </span>
        <code className="audit-raw">{raw}</code>
      </span>
    </>
  );
}
