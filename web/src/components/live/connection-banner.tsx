/** Says since when the picture is not live, once it had been (the header's indicator says how it stands). */
import { formatClock } from '@/lib/format';
import type { ConnectionStatus } from '@/lib/live-session';
import { usePreferences } from '../preferences-provider';

export function ConnectionBanner({ status }: { status: ConnectionStatus }) {
  const { t, lang } = usePreferences();
  if (status.downSince === null || status.state === 'live') return null;
  return (
    <p className="connection-banner">
      {t('connection.banner.down', { since: formatClock(status.downSince, lang) })}
    </p>
  );
}
