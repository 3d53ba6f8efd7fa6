'use client';
/** Live / reconnecting / offline, in words and with a shape, never by colour alone. */
import type { ConnectionState } from '@/lib/live-session';
import { usePreferences } from './preferences-provider';

const SYMBOL: Record<ConnectionState, string> = {
  connecting: '◌',
  live: '●',
  reconnecting: '◐',
  offline: '○',
};

export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  const { t } = usePreferences();
  return (
    <p className={`connection connection-${state}`} role="status">
      <span className="visually-hidden">{t('connection.label')}: </span>
      <span className="connection-symbol" aria-hidden="true">
        {SYMBOL[state]}
      </span>
      <span className="connection-text">{t(`connection.${state}`)}</span>
    </p>
  );
}
