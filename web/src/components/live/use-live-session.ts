/**
 * The map page's live session for as long as the page is open: the store (lib/live-session.ts), the
 * `/control` socket that feeds it, the HTTP seeds that fill the page while the socket connects, the
 * pruning of closed incidents and the alert sound. When the session ends by signing out, the page
 * goes to the login page.
 */
import { IncidentsResponse, UnitsResponse } from '@lagebild/protocol';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { ApiError, apiGet } from '@/lib/api';
import { createLiveSession } from '@/lib/live-session';
import { connectLiveSocket } from '@/lib/live-socket';
import { useAlertSound } from '@/lib/use-incident-store';

/** how often closed incidents are checked for having lingered long enough */
const PRUNE_INTERVAL_MS = 1000;

export function useLiveSession(onSignedOut: () => void) {
  const [session] = useState(createLiveSession);

  useEffect(() => connectLiveSocket(session), [session]);

  useEffect(() => {
    const abort = new AbortController();
    apiGet('/api/units', UnitsResponse, abort.signal).then(
      (res) =>
        session.apply({ type: 'seedUnits', units: res.units.flatMap((u) => (u.live ? [u.live] : [])) }),
      (err: unknown) => {
        if (err instanceof ApiError) session.apply({ type: 'seedFailed', code: err.code });
      },
    );
    // the socket's `incidents` snapshot wins if it came first (see the session)
    apiGet('/api/incidents', IncidentsResponse, abort.signal).then(
      (msg) => session.apply({ type: 'seedIncidents', msg }),
      () => undefined,
    );
    const prune = window.setInterval(() => session.incidentStore.prune(), PRUNE_INTERVAL_MS);
    return () => {
      abort.abort();
      window.clearInterval(prune);
    };
  }, [session]);

  useAlertSound(session.incidentStore);

  const status = useSyncExternalStore(session.subscribeStatus, session.getStatus, session.getStatus);
  const incidentView = useSyncExternalStore(
    session.incidentStore.subscribe,
    session.getIncidentView,
    session.getIncidentView,
  );

  useEffect(() => {
    if (status.ended === 'signedOut') onSignedOut();
  }, [status.ended, onSignedOut]);

  return { session, status, incidentView };
}
