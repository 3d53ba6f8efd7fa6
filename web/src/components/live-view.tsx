'use client';
/**
 * The map page: unit list on the left, map in the middle, selected unit and event log on the right,
 * emergencies across the top. Owns the live store and the socket for as long as the page is open.
 */
import { LIVE_ROLES, type MeResponse, type UnitLive, UnitsResponse } from '@lagebild/protocol';
import dynamic from 'next/dynamic';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, apiGet } from '@/lib/api';
import { formatClock } from '@/lib/format';
import { type ConnectionState, connectLive } from '@/lib/live-connection';
import { createLiveStore } from '@/lib/live-store';
import {
  matchesSelection,
  type SelectionRef,
  searchForSelection,
  selectionFromSearch,
} from '@/lib/selection-url';
import { EMPTY_QUERY, filterUnits, teamsOf, type UnitQuery } from '@/lib/unit-filter';
import { useThrottledVersion, useTick } from '@/lib/use-live-store';
import type { FocusRequest } from '@/map/live-map';
import { AppHeader } from './app-header';
import { ConnectionIndicator } from './connection-indicator';
import { EmergencyBanner } from './emergency-banner';
import { EventLog } from './event-log';
import { ForbiddenNotice } from './forbidden-notice';
import { usePreferences } from './preferences-provider';
import { SkipLink } from './skip-link';
import { UnitDetail } from './unit-detail';
import { UnitFilters } from './unit-filters';
import { UnitList } from './unit-list';

const LiveMap = dynamic(() => import('@/map/live-map'), {
  ssr: false,
  loading: () => <div className="live-map live-map-loading" />,
});

export function LiveView({ me }: { me: MeResponse }) {
  const { t } = usePreferences();
  if (!LIVE_ROLES.includes(me.user.role)) {
    return (
      <div className="app">
        <SkipLink />
        <AppHeader me={me} />
        <main id="main" className="page-main">
          <ForbiddenNotice message={t('forbidden.live', { role: t(`role.${me.user.role}`) })} />
        </main>
      </div>
    );
  }
  return <LiveDashboard me={me} />;
}

function LiveDashboard({ me }: { me: MeResponse }) {
  const { t, lang } = usePreferences();
  const router = useRouter();
  const [store] = useState(createLiveStore);
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [downSince, setDownSince] = useState<number | null>(null);
  const [forbidden, setForbidden] = useState(false);
  const [query, setQuery] = useState<UnitQuery>(EMPTY_QUERY);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [focus, setFocus] = useState<FocusRequest | null>(null);
  const pendingSelection = useRef<SelectionRef | null>(null);
  const wasLive = useRef(false);

  const signedOut = useCallback(() => router.replace('/login/'), [router]);

  useEffect(() => {
    pendingSelection.current = selectionFromSearch(window.location.search);
    return connectLive(store, {
      onState(state) {
        setConnection(state);
        if (state === 'live') {
          wasLive.current = true;
          setDownSince(null);
        } else if (wasLive.current) {
          setDownSince((since) => since ?? Date.now());
        }
      },
      onSignedOut: signedOut,
      onForbidden: () => setForbidden(true),
    });
  }, [store, signedOut]);

  // seed from the HTTP API so the list is not empty while the socket connects
  useEffect(() => {
    const abort = new AbortController();
    apiGet('/api/units', UnitsResponse, abort.signal).then(
      (res) => store.applyUnits(res.units.flatMap((u) => (u.live ? [u.live] : []))),
      (err: unknown) => {
        if (err instanceof ApiError && err.code === 'unauthenticated') signedOut();
        if (err instanceof ApiError && err.code === 'forbidden') setForbidden(true);
      },
    );
    return () => abort.abort();
  }, [store, signedOut]);

  const version = useThrottledVersion(store, 500);
  const tick = useTick(1000);
  // biome-ignore lint/correctness/useExhaustiveDependencies: version and tick stand for the store's mutable content and the passing of time
  const serverNow = useMemo(() => store.clock.now(), [store, version, tick]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: version stands for the store's mutable content
  const filtered = useMemo(
    () => filterUnits(store.units.values(), query, serverNow),
    [store, version, query, serverNow],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: version stands for the store's mutable content
  const teams = useMemo(() => teamsOf(store.units.values()), [store, version]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: version stands for the store's mutable content
  const emergencies = useMemo(() => [...store.units.values()].filter((u) => u.emergency), [store, version]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: version stands for the store's mutable content
  const events = useMemo(() => store.getEvents(), [store, version]);

  // resolve a selection from the URL once its unit shows up
  useEffect(() => {
    void version;
    const ref = pendingSelection.current;
    if (!ref) return;
    for (const unit of store.units.values()) {
      if (matchesSelection(unit, ref)) {
        pendingSelection.current = null;
        setSelectedId(unit.deviceId);
        setFocus({ deviceId: unit.deviceId, nonce: Date.now() });
        return;
      }
    }
  }, [store, version]);

  const select = useCallback(
    (deviceId: string | null, pan: boolean) => {
      pendingSelection.current = null;
      setSelectedId(deviceId);
      const unit: UnitLive | null = deviceId ? (store.units.get(deviceId) ?? null) : null;
      const search = searchForSelection(window.location.search, unit);
      window.history.replaceState(window.history.state, '', `${window.location.pathname}${search}`);
      if (deviceId && pan) setFocus({ deviceId, nonce: Date.now() });
    },
    [store],
  );
  const selectFromList = useCallback((id: string) => select(id, true), [select]);
  const selectFromMap = useCallback((id: string) => select(id, false), [select]);

  const selected = selectedId ? store.units.get(selectedId) : undefined;

  if (forbidden) {
    return (
      <div className="app">
        <SkipLink />
        <AppHeader me={me} />
        <main id="main" className="page-main">
          <ForbiddenNotice message={t('forbidden.live', { role: t(`role.${me.user.role}`) })} />
        </main>
      </div>
    );
  }

  return (
    <div className="app app-live">
      <SkipLink />
      <AppHeader me={me} status={<ConnectionIndicator state={connection} />} />
      <EmergencyBanner units={emergencies} onSelect={selectFromList} />
      {downSince !== null && connection !== 'live' && (
        <p className="connection-banner">
          {t('connection.banner.down', { since: formatClock(downSince, lang) })}
        </p>
      )}
      <div className="live-layout">
        <aside className="panel unit-panel" aria-labelledby="units-title">
          <div className="panel-heading">
            <h2 id="units-title" className="panel-title">
              {t('units.title')}
            </h2>
            <span className="muted" aria-live="off">
              {t('units.count', { shown: filtered.units.length, total: filtered.total })}
            </span>
          </div>
          <UnitFilters query={query} teams={teams} counts={filtered.counts} onChange={setQuery} />
          <UnitList
            units={filtered.units}
            serverNowMs={serverNow}
            selectedId={selectedId}
            onSelect={selectFromList}
            emptyText={filtered.total === 0 ? t('units.noLive') : t('units.empty')}
          />
        </aside>
        <main id="main" className="map-area" tabIndex={-1}>
          <h1 className="visually-hidden">
            {t('nav.map')} – {me.user.tenant.name}
          </h1>
          <LiveMap me={me} store={store} selectedId={selectedId} focus={focus} onSelect={selectFromMap} />
        </main>
        <aside className="panel side-panel" aria-label={selected ? t('detail.title') : t('events.title')}>
          {selected && (
            <UnitDetail
              unit={selected}
              serverNowMs={serverNow}
              onClose={() => select(null, false)}
              onShowOnMap={() => setFocus({ deviceId: selected.deviceId, nonce: Date.now() })}
              onSignedOut={signedOut}
            />
          )}
          <EventLog events={events} units={store.units} onSelect={selectFromList} />
        </aside>
      </div>
    </div>
  );
}
