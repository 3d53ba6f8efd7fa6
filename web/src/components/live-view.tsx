'use client';
/**
 * The map page: unit list on the left, map in the middle, selected unit and event log on the right,
 * emergencies across the top. Owns the live store and the socket for as long as the page is open.
 */
import {
  type Alert,
  type DispatchRequest,
  type Incident,
  IncidentsResponse,
  type LatLng,
  LIVE_ROLES,
  type MeResponse,
  type UnitLive,
  UnitsResponse,
  type VideoEvent,
} from '@lagebild/protocol';
import dynamic from 'next/dynamic';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, apiGet } from '@/lib/api';
import { acknowledgeAlert } from '@/lib/dispatch-api';
import { alertsForStack, incidentLocation, sortIncidents } from '@/lib/dispatch-view';
import { formatClock } from '@/lib/format';
import { createIncidentStore } from '@/lib/incident-store';
import { type ConnectionState, connectLive } from '@/lib/live-connection';
import { createLiveStore } from '@/lib/live-store';
import { plural } from '@/lib/plural';
import {
  matchesSelection,
  type SelectionRef,
  searchForSelection,
  selectionFromSearch,
} from '@/lib/selection-url';
import { EMPTY_QUERY, filterUnits, labelOf, teamsOf, type UnitQuery } from '@/lib/unit-filter';
import { useAlertSound, useIncidentVersion } from '@/lib/use-incident-store';
import { useThrottledVersion, useTick } from '@/lib/use-live-store';
import { useVideoWall } from '@/lib/use-video-wall';
import type { FocusRequest } from '@/map/live-map';
import { AlertStack } from './alert-stack';
import { AppHeader } from './app-header';
import { ConnectionIndicator } from './connection-indicator';
import { EmergencyBanner } from './emergency-banner';
import { EventLog } from './event-log';
import { ForbiddenNotice } from './forbidden-notice';
import { IncidentDetail } from './incident-detail';
import { IncidentList } from './incident-list';
import { OpenIncidentForm, UnitIncidentAction } from './open-incident-form';
import { usePreferences } from './preferences-provider';
import { SkipLink } from './skip-link';
import { SoundBlockedNotice, SoundToggle } from './sound-toggle';
import { UnitDetail } from './unit-detail';
import { UnitFilters } from './unit-filters';
import { UnitList } from './unit-list';
import { VideoWall, WatchLiveButton } from './video-wall';

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

/** how long an acknowledged alert stays in the stack, showing who acknowledged it */
const ACK_VISIBLE_MS = 120_000;

type SideTab = 'units' | 'incidents';

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
  const [incidentStore] = useState(() => createIncidentStore());
  const [sideTab, setSideTab] = useState<SideTab>('units');
  const [selectedIncidentId, setSelectedIncidentId] = useState<string | null>(null);
  const [picking, setPicking] = useState(false);
  const [pickedPoint, setPickedPoint] = useState<LatLng | null>(null);
  const pendingSelection = useRef<SelectionRef | null>(null);
  const wasLive = useRef(false);
  // `video` events reach the wall's model, which is set up further down (it needs the incidents)
  const videoEvents = useRef<(e: VideoEvent) => void>(() => undefined);

  const signedOut = useCallback(() => router.replace('/login/'), [router]);

  useEffect(() => {
    pendingSelection.current = selectionFromSearch(window.location.search);
    return connectLive(
      store,
      {
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
        onVideo: (e) => videoEvents.current(e),
      },
      incidentStore,
    );
  }, [store, signedOut, incidentStore]);

  // incidents: seed over HTTP (the socket's `incidents` snapshot wins if it came first); closed
  // incidents linger a moment, then go
  useEffect(() => {
    const abort = new AbortController();
    apiGet('/api/incidents', IncidentsResponse, abort.signal).then(
      (res) => {
        if (!incidentStore.isReady()) incidentStore.applySnapshot(res);
      },
      () => undefined,
    );
    const timer = window.setInterval(() => incidentStore.prune(), 1000);
    return () => {
      abort.abort();
      window.clearInterval(timer);
    };
  }, [incidentStore]);
  useAlertSound(incidentStore);
  const incidentVersion = useIncidentVersion(incidentStore);

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
  const video = useVideoWall(incidentStore.incidents, incidentStore.alerts, incidentVersion, tick);
  videoEvents.current = video.onVideo;
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

  // biome-ignore lint/correctness/useExhaustiveDependencies: incidentVersion stands for the incident store's content
  const incidentView = useMemo(() => {
    const alertsByIncident = new Map<string, Alert[]>();
    for (const a of incidentStore.alerts.values()) {
      const list = alertsByIncident.get(a.incidentId) ?? [];
      list.push(a);
      alertsByIncident.set(a.incidentId, list);
    }
    const requestsByIncident = new Map<string, DispatchRequest[]>();
    for (const r of incidentStore.requests.values()) {
      const list = requestsByIncident.get(r.incidentId) ?? [];
      list.push(r);
      requestsByIncident.set(r.incidentId, list);
    }
    for (const list of alertsByIncident.values()) list.sort((a, b) => b.raisedAt - a.raisedAt);
    for (const list of requestsByIncident.values()) list.sort((a, b) => b.createdAt - a.createdAt);
    return {
      incidents: sortIncidents(incidentStore.incidents.values()),
      alertsByIncident,
      requestsByIncident,
    };
  }, [incidentStore, incidentVersion]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: incidentVersion stands for the incident store's content
  const stackAlerts = useMemo(
    () => alertsForStack(incidentStore.alerts.values(), serverNow, ACK_VISIBLE_MS),
    [incidentStore, incidentVersion, serverNow],
  );
  const openCount = incidentView.incidents.filter((i) => i.status === 'open').length;
  const unacknowledgedCount = stackAlerts.filter((a) => a.acknowledgedAt === null).length;

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
      if (deviceId) {
        setSelectedIncidentId(null);
        setPickedPoint(null);
      }
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

  const selectIncident = useCallback(
    (incidentId: string | null, pan = true) => {
      setSelectedIncidentId(incidentId);
      if (!incidentId) return;
      select(null, false);
      setPickedPoint(null);
      setSideTab('incidents');
      const incident = incidentStore.incidents.get(incidentId);
      const at = incident ? incidentLocation(incident, store.units) : null;
      if (at && pan) setFocus({ point: at, nonce: Date.now() });
    },
    [incidentStore, store, select],
  );
  const selectIncidentFromMap = useCallback((id: string) => selectIncident(id, false), [selectIncident]);
  const opened = useCallback(
    (incident: Incident) => {
      incidentStore.upsertIncident(incident);
      selectIncident(incident.id);
    },
    [incidentStore, selectIncident],
  );
  const acknowledged = useCallback((alert: Alert) => incidentStore.upsertAlert(alert), [incidentStore]);
  const picked = useCallback(
    (point: LatLng) => {
      setPicking(false);
      select(null, false);
      setSelectedIncidentId(null);
      setPickedPoint(point);
    },
    [select],
  );
  const selectedIncident = selectedIncidentId ? incidentStore.incidents.get(selectedIncidentId) : undefined;
  const incidentAlerts = selectedIncident
    ? (incidentView.alertsByIncident.get(selectedIncident.id) ?? [])
    : [];
  const incidentRequests = selectedIncident
    ? (incidentView.requestsByIncident.get(selectedIncident.id) ?? [])
    : [];

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
      <AppHeader me={me} status={<ConnectionIndicator state={connection} />} tools={<SoundToggle />} />
      <EmergencyBanner units={emergencies} onSelect={selectFromList} />
      <SoundBlockedNotice />
      {downSince !== null && connection !== 'live' && (
        <p className="connection-banner">
          {t('connection.banner.down', { since: formatClock(downSince, lang) })}
        </p>
      )}
      <div className="live-layout">
        <aside className="panel unit-panel" aria-label={t('sidebar.tabs')}>
          <SideTabs
            tab={sideTab}
            onTab={setSideTab}
            openCount={openCount}
            unacknowledgedCount={unacknowledgedCount}
          />
          <div
            className="tab-panel"
            id="side-tab-units"
            role="tabpanel"
            aria-labelledby="side-tab-units-tab"
            hidden={sideTab !== 'units'}
          >
            <div className="panel-heading">
              <h2 id="units-title" className="panel-title">
                {t('units.title')}
              </h2>
              <span className="muted" aria-live="off">
                {plural(t, lang, 'units.count', filtered.total, {
                  shown: filtered.units.length,
                  total: filtered.total,
                })}
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
          </div>
          <div
            className="tab-panel"
            id="side-tab-incidents"
            role="tabpanel"
            aria-labelledby="side-tab-incidents-tab"
            hidden={sideTab !== 'incidents'}
          >
            <div className="panel-heading">
              <h2 className="panel-title">{t('incidents.title')}</h2>
              <span className="muted">{t('incidents.count', { n: openCount })}</span>
            </div>
            <IncidentList
              incidents={incidentView.incidents}
              alertsByIncident={incidentView.alertsByIncident}
              requestsByIncident={incidentView.requestsByIncident}
              serverNowMs={serverNow}
              selectedId={selectedIncidentId}
              onSelect={selectIncident}
            />
          </div>
        </aside>
        <main
          id="main"
          className={`map-area${video.wall.tiles.length > 0 ? ' has-video-wall' : ''}`}
          tabIndex={-1}
        >
          <h1 className="visually-hidden">
            {t('nav.map')} – {me.user.tenant.name}
          </h1>
          <AlertStack
            alerts={stackAlerts}
            incidents={incidentStore.incidents}
            serverNowMs={serverNow}
            onShowIncident={selectIncident}
            onAcknowledged={acknowledged}
            onSignedOut={signedOut}
          />
          <LiveMap
            me={me}
            store={store}
            selectedId={selectedId}
            focus={focus}
            onSelect={selectFromMap}
            incidents={incidentStore}
            selectedIncidentId={selectedIncidentId}
            onSelectIncident={selectIncidentFromMap}
            picking={picking}
            onPickingChange={setPicking}
            onPick={picked}
          />
          <VideoWall
            wall={video}
            units={store.units}
            incidents={incidentStore.incidents}
            serverNowMs={serverNow}
          />
        </main>
        <aside
          className="panel side-panel"
          aria-label={
            selectedIncident
              ? t('incident.title', { number: selectedIncident.number })
              : selected
                ? t('detail.title')
                : t('events.title')
          }
        >
          {pickedPoint && (
            <div className="side-form">
              <OpenIncidentForm
                target={{ location: pickedPoint }}
                onOpened={(incident) => {
                  setPickedPoint(null);
                  opened(incident);
                }}
                onCancel={() => setPickedPoint(null)}
                onSignedOut={signedOut}
              />
            </div>
          )}
          {selectedIncident && (
            <IncidentDetail
              key={selectedIncident.id}
              incident={selectedIncident}
              alerts={incidentAlerts}
              requests={incidentRequests}
              location={incidentLocation(selectedIncident, store.units)}
              role={me.user.role}
              serverNowMs={serverNow}
              changeKey={changeKeyOf(selectedIncident, incidentAlerts, incidentRequests)}
              onClose={() => setSelectedIncidentId(null)}
              onShowOnMap={() => {
                const at = incidentLocation(selectedIncident, store.units);
                if (at) setFocus({ point: at, nonce: Date.now() });
              }}
              onAcknowledge={async (alert) => acknowledged((await acknowledgeAlert(alert.id)).alert)}
              onRequests={(requests) => {
                for (const r of requests) incidentStore.upsertRequest(r);
              }}
              onIncident={(incident) => incidentStore.upsertIncident(incident)}
              onSignedOut={signedOut}
            />
          )}
          {selected && !selectedIncident && (
            <UnitDetail
              unit={selected}
              serverNowMs={serverNow}
              onClose={() => select(null, false)}
              onShowOnMap={() => setFocus({ deviceId: selected.deviceId, nonce: Date.now() })}
              onSignedOut={signedOut}
              actions={
                <>
                  {selected.unitId ? (
                    <UnitIncidentAction
                      key={selected.unitId}
                      unitId={selected.unitId}
                      callsign={labelOf(selected)}
                      onOpened={opened}
                      onSignedOut={signedOut}
                    />
                  ) : null}
                  {video.live.has(selected.deviceId) && (
                    <WatchLiveButton
                      deviceId={selected.deviceId}
                      callsign={labelOf(selected)}
                      onOpen={video.requestOpen}
                    />
                  )}
                </>
              }
            />
          )}
          <EventLog events={events} units={store.units} onSelect={selectFromList} />
        </aside>
      </div>
    </div>
  );
}

/** Changes whenever anything shown about this incident changes: the detail re-reads its timeline. */
function changeKeyOf(
  incident: Incident,
  alerts: readonly Alert[],
  requests: readonly DispatchRequest[],
): string {
  return [
    incident.status,
    incident.priority,
    incident.summary,
    ...alerts.map((a) => `${a.id}:${a.acknowledgedAt}:${a.escalationLevel}`),
    ...requests.map((r) => `${r.id}:${r.state}`),
  ].join('|');
}

/** Units | Incidents, as ARIA tabs (arrow keys move between them). */
function SideTabs({
  tab,
  onTab,
  openCount,
  unacknowledgedCount,
}: {
  tab: SideTab;
  onTab(tab: SideTab): void;
  openCount: number;
  unacknowledgedCount: number;
}) {
  const { t } = usePreferences();
  const tabs: { id: SideTab; label: string; count: number | null }[] = [
    { id: 'units', label: t('units.title'), count: null },
    { id: 'incidents', label: t('incidents.title'), count: openCount },
  ];
  return (
    <div
      className="side-tabs"
      role="tablist"
      aria-label={t('sidebar.tabs')}
      onKeyDown={(e) => {
        if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
        e.preventDefault();
        const next: SideTab = tab === 'units' ? 'incidents' : 'units';
        onTab(next);
        document.getElementById(`side-tab-${next}-tab`)?.focus();
      }}
    >
      {tabs.map((item) => (
        <button
          key={item.id}
          type="button"
          role="tab"
          id={`side-tab-${item.id}-tab`}
          aria-selected={tab === item.id}
          aria-controls={`side-tab-${item.id}`}
          tabIndex={tab === item.id ? 0 : -1}
          className="side-tab"
          onClick={() => onTab(item.id)}
        >
          {item.label}
          {item.count !== null && (
            <span
              className={`tab-count${item.id === 'incidents' && unacknowledgedCount > 0 ? ' is-alerting' : ''}`}
            >
              {item.count}
            </span>
          )}
        </button>
      ))}
    </div>
  );
}
