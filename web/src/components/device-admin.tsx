'use client';
/**
 * /admin/devices/: provision body cameras (the secret is shown exactly once), list them, revoke one
 * after a confirmation. Admins only; the gateway enforces that too.
 */
import {
  type Device,
  DevicesResponse,
  type MeResponse,
  ProvisionDeviceResponse,
  RevokeDeviceResponse,
} from '@lagebild/protocol';
import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import { apiGet, apiPost } from '@/lib/api';
import { formatDateTime } from '@/lib/format';
import { AdminPage } from './admin-page';
import { ConfirmDialog } from './confirm-dialog';
import { DataTable } from './data-table';
import { ForbiddenNotice } from './forbidden-notice';
import { ListStatus } from './list-status';
import { usePreferences } from './preferences-provider';
import { usePageApiError } from './use-page-api-error';

export function DeviceAdmin({ me }: { me: MeResponse }) {
  return (
    <AdminPage me={me}>
      <DeviceAdminContent />
    </AdminPage>
  );
}

type ListState =
  | { kind: 'loading' }
  | { kind: 'ready'; devices: Device[] }
  | { kind: 'error'; message: string };

function DeviceAdminContent() {
  const { t } = usePreferences();
  const [list, setList] = useState<ListState>({ kind: 'loading' });
  const [provisioned, setProvisioned] = useState<ProvisionDeviceResponse | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { forbidden, describeError: handleError } = usePageApiError();

  const load = useCallback(() => {
    apiGet('/api/devices', DevicesResponse).then(
      (res) =>
        setList({ kind: 'ready', devices: [...res.devices].sort((a, b) => b.createdAt - a.createdAt) }),
      (err: unknown) => setList({ kind: 'error', message: handleError(err) }),
    );
  }, [handleError]);

  useEffect(load, [load]);

  if (forbidden) return <ForbiddenNotice message={t('forbidden.admin')} />;

  function replaceDevice(device: Device) {
    setList((current) =>
      current.kind === 'ready'
        ? { kind: 'ready', devices: current.devices.map((d) => (d.id === device.id ? device : d)) }
        : current,
    );
  }

  return (
    <div className="admin-page">
      <h1>{t('devices.title')}</h1>
      <p className="muted">{t('devices.intro')}</p>
      <p role="status" className="notice-line">
        {notice}
      </p>
      {provisioned ? (
        <SecretOnce
          result={provisioned}
          onDone={() => {
            setProvisioned(null);
          }}
        />
      ) : (
        <ProvisionForm
          onProvisioned={(result) => {
            setProvisioned(result);
            setNotice(null);
            setList((current) =>
              current.kind === 'ready'
                ? { kind: 'ready', devices: [result.device, ...current.devices] }
                : current,
            );
          }}
          describeError={handleError}
        />
      )}
      <section aria-labelledby="device-list-title" className="card">
        <h2 id="device-list-title">{t('devices.list.title')}</h2>
        <ListStatus state={list} loadingText={t('devices.loading')} onRetry={load} />
        {list.kind === 'ready' && (
          <DeviceTable
            devices={list.devices}
            onRevoked={(device) => {
              replaceDevice(device);
              setNotice(t('devices.revoked', { label: device.label }));
            }}
            describeError={handleError}
          />
        )}
      </section>
    </div>
  );
}

function ProvisionForm({
  onProvisioned,
  describeError,
}: {
  onProvisioned(result: ProvisionDeviceResponse): void;
  describeError(err: unknown): string;
}) {
  const { t } = usePreferences();
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const trimmed = label.trim();
    if (!trimmed) {
      setError(t('devices.provision.hint'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const result = await apiPost('/api/devices', { label: trimmed }, ProvisionDeviceResponse);
      setLabel('');
      onProvisioned(result);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="provision-title" className="card">
      <h2 id="provision-title">{t('devices.provision.title')}</h2>
      <form className="inline-form" onSubmit={submit} noValidate>
        <div className="field field-grow">
          <label htmlFor={inputId}>{t('devices.provision.label')}</label>
          <input
            id={inputId}
            value={label}
            maxLength={64}
            autoComplete="off"
            aria-describedby={`${hintId} ${errorId}`}
            aria-invalid={error ? true : undefined}
            onChange={(e) => setLabel(e.target.value)}
          />
          <span id={hintId} className="field-hint">
            {t('devices.provision.hint')}
          </span>
        </div>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? t('devices.provision.submitting') : t('devices.provision.submit')}
        </button>
      </form>
      <div id={errorId} role="alert" className="form-error">
        {error}
      </div>
    </section>
  );
}

function SecretOnce({ result, onDone }: { result: ProvisionDeviceResponse; onDone(): void }) {
  const { t } = usePreferences();
  const [copyState, setCopyState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const headingRef = useRef<HTMLHeadingElement>(null);
  const secretRef = useRef<HTMLElement>(null);

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(result.secret);
      setCopyState('copied');
    } catch {
      // clipboard needs a secure context and permission; fall back to selecting the text
      const node = secretRef.current;
      if (node) window.getSelection()?.selectAllChildren(node);
      setCopyState('failed');
    }
  }

  return (
    <section aria-labelledby="secret-title" className="card secret-card">
      <h2 id="secret-title" ref={headingRef} tabIndex={-1}>
        {t('devices.secret.title', { label: result.device.label })}
      </h2>
      <p className="warning">
        <span aria-hidden="true">⚠ </span>
        {t('devices.secret.warning')}
      </p>
      <dl className="facts">
        <div className="fact">
          <dt>{t('devices.deviceId')}</dt>
          <dd>
            <code>{result.device.id}</code>
          </dd>
        </div>
      </dl>
      <p className="secret-value">
        <code ref={secretRef} data-testid="device-secret">
          {result.secret}
        </code>
      </p>
      <div className="button-row">
        <button type="button" className="button button-primary" onClick={copy}>
          {t('devices.secret.copy')}
        </button>
        <button type="button" className="button" onClick={onDone}>
          {t('devices.secret.done')}
        </button>
        <span role="status">
          {copyState === 'copied'
            ? t('devices.secret.copied')
            : copyState === 'failed'
              ? t('devices.secret.copyFailed')
              : ''}
        </span>
      </div>
    </section>
  );
}

function DeviceTable({
  devices,
  onRevoked,
  describeError,
}: {
  devices: Device[];
  onRevoked(device: Device): void;
  describeError(err: unknown): string;
}) {
  const { t, lang } = usePreferences();
  const [confirming, setConfirming] = useState<Device | null>(null);
  if (devices.length === 0) return <p className="muted">{t('devices.empty')}</p>;
  return (
    <>
      <DataTable
        columns={[
          t('devices.col.label'),
          t('devices.col.state'),
          t('devices.col.created'),
          t('devices.col.lastSeen'),
          t('devices.col.actions'),
        ]}
      >
        {devices.map((device) => (
          <tr key={device.id} className={device.state === 'revoked' ? 'is-revoked' : undefined}>
            <th scope="row">
              {device.label}
              <span className="table-sub">
                <code>{device.id}</code>
              </span>
            </th>
            <td>
              <span className={`state-badge state-${device.state}`}>
                {t(`devices.state.${device.state}`)}
              </span>
              {device.revokedAt !== null && (
                <span className="table-sub">
                  {t('devices.revokedAt', { time: formatDateTime(device.revokedAt, lang) })}
                </span>
              )}
            </td>
            <td>{formatDateTime(device.createdAt, lang)}</td>
            <td>
              {device.lastSeenAt === null ? t('devices.never') : formatDateTime(device.lastSeenAt, lang)}
            </td>
            <td>
              {device.state === 'active' && (
                <button
                  type="button"
                  className="button button-danger button-small"
                  aria-label={t('devices.revoke.label', { label: device.label })}
                  onClick={() => setConfirming(device)}
                >
                  {t('devices.revoke')}
                </button>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
      {confirming && (
        <RevokeDialog
          device={confirming}
          onClose={() => setConfirming(null)}
          onRevoked={(device) => {
            setConfirming(null);
            onRevoked(device);
          }}
          describeError={describeError}
        />
      )}
    </>
  );
}

function RevokeDialog({
  device,
  onClose,
  onRevoked,
  describeError,
}: {
  device: Device;
  onClose(): void;
  onRevoked(device: Device): void;
  describeError(err: unknown): string;
}) {
  const { t } = usePreferences();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function revoke() {
    setBusy(true);
    setError(null);
    try {
      const result = await apiPost(
        `/api/devices/${encodeURIComponent(device.id)}/revoke`,
        {},
        RevokeDeviceResponse,
      );
      onRevoked(result.device);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <ConfirmDialog
      id="revoke"
      title={t('devices.revoke.title')}
      body={t('devices.revoke.body', { label: device.label })}
      error={error}
      busy={busy}
      cancelLabel={t('devices.revoke.cancel')}
      confirmLabel={t('devices.revoke.confirm')}
      danger
      onConfirm={revoke}
      onClose={onClose}
    />
  );
}
