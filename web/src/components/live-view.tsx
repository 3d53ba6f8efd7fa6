'use client';
/**
 * The map page: unit list on the left, map in the middle, selected unit and event log on the right,
 * emergencies across the top. The live state is an external store (lib/live-session.ts) that
 * useLiveSession keeps connected while the page is open; what is selected is a reducer
 * (lib/live-selection.ts); the panels are in components/live/.
 */
import { LIVE_ROLES, type MeResponse, TALKBACK_ROLES } from '@lagebild/protocol';
import dynamic from 'next/dynamic';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useMemo } from 'react';
import { alertsForStack } from '@/lib/dispatch-view';
import { useVideoWall } from '@/lib/use-video-wall';
import { AlertStack } from './alert-stack';
import { AppHeader } from './app-header';
import { ConnectionIndicator } from './connection-indicator';
import { EmergencyBanner } from './emergency-banner';
import { ForbiddenNotice } from './forbidden-notice';
import { ConnectionBanner } from './live/connection-banner';
import { DegradedStrip } from './live/degraded-strip';
import { DetailPanel } from './live/detail-panel';
import { IncidentsTab } from './live/incidents-tab';
import { SideTabs } from './live/side-tabs';
import { UnitsTab } from './live/units-tab';
import { useLiveFrame } from './live/use-live-frame';
import { useLiveSelection } from './live/use-live-selection';
import { useLiveSession } from './live/use-live-session';
import { PageFrame } from './page-frame';
import { usePreferences } from './preferences-provider';
import { SkipLink } from './skip-link';
import { SoundBlockedNotice, SoundToggle } from './sound-toggle';
import { VideoWall } from './video-wall';

const LiveMap = dynamic(() => import('@/map/live-map'), {
  ssr: false,
  loading: () => <div className="live-map live-map-loading" />,
});

export function LiveView({ me }: { me: MeResponse }) {
  if (!LIVE_ROLES.includes(me.user.role)) return <ForbiddenPage me={me} />;
  return <LiveDashboard me={me} />;
}

/** for a role without live access, and for a session the gateway refuses live data */
function ForbiddenPage({ me }: { me: MeResponse }) {
  const { t } = usePreferences();
  return (
    <PageFrame me={me}>
      <ForbiddenNotice message={t('forbidden.live', { role: t(`role.${me.user.role}`) })} />
    </PageFrame>
  );
}

/** how long an acknowledged alert stays in the stack, showing who acknowledged it */
const ACK_VISIBLE_MS = 120_000;

function LiveDashboard({ me }: { me: MeResponse }) {
  const { t } = usePreferences();
  const router = useRouter();
  const signedOut = useCallback(() => router.replace('/login/'), [router]);
  const { session, status, incidentView } = useLiveSession(signedOut);
  const { unitStore, incidentStore } = session;
  const frame = useLiveFrame(unitStore);
  const video = useVideoWall(
    incidentStore.incidents,
    incidentStore.alerts,
    incidentView.version,
    frame.tick,
    status.state === 'live',
  );
  useEffect(() => session.onVideo(video.onVideo), [session, video.onVideo]);
  const live = useLiveSelection(session, frame.onDuty, frame.offDuty);
  const { selection } = live;

  const stackAlerts = useMemo(
    () => alertsForStack(incidentView.alerts, frame.serverNowMs, ACK_VISIBLE_MS),
    [incidentView.alerts, frame.serverNowMs],
  );
  const openCount = incidentView.incidents.filter((i) => i.status === 'open').length;
  const unacknowledgedCount = stackAlerts.filter((a) => a.acknowledgedAt === null).length;

  if (status.ended === 'forbidden') return <ForbiddenPage me={me} />;

  return (
    <div className="app app-live">
      <SkipLink />
      <AppHeader me={me} status={<ConnectionIndicator state={status.state} />} tools={<SoundToggle />} />
      <EmergencyBanner units={frame.emergencies} onSelect={live.selectFromList} />
      <SoundBlockedNotice />
      <ConnectionBanner status={status} />
      <DegradedStrip health={status.health} isAdmin={me.user.role === 'admin'} />
      <div className="live-layout">
        <aside className="panel unit-panel" aria-label={t('sidebar.tabs')}>
          <SideTabs
            tab={selection.tab}
            onTab={live.setTab}
            openCount={openCount}
            unacknowledgedCount={unacknowledgedCount}
          />
          <UnitsTab
            shown={selection.tab === 'units'}
            onDuty={frame.onDuty}
            offDutyUnits={frame.offDuty}
            teams={frame.teams}
            serverNowMs={frame.serverNowMs}
            selectedId={selection.unitId}
            onSelect={live.selectFromList}
          />
          <IncidentsTab
            shown={selection.tab === 'incidents'}
            view={incidentView}
            openCount={openCount}
            serverNowMs={frame.serverNowMs}
            selectedId={selection.incidentId}
            onSelect={live.selectIncident}
          />
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
            serverNowMs={frame.serverNowMs}
            onShowIncident={live.selectIncident}
            onAcknowledged={live.acknowledged}
            onSignedOut={signedOut}
          />
          <LiveMap
            me={me}
            store={unitStore}
            selectedId={selection.unitId}
            focus={selection.focus}
            onSelect={live.selectFromMap}
            incidents={incidentStore}
            selectedIncidentId={selection.incidentId}
            onSelectIncident={live.selectIncidentFromMap}
            picking={selection.picking}
            onPickingChange={live.setPicking}
            onPick={live.pick}
          />
          <VideoWall
            wall={video}
            units={unitStore.units}
            incidents={incidentStore.incidents}
            serverNowMs={frame.serverNowMs}
            canSpeak={TALKBACK_ROLES.includes(me.user.role)}
          />
        </main>
        <DetailPanel
          me={me}
          session={session}
          live={live}
          incidentView={incidentView}
          events={frame.events}
          serverNowMs={frame.serverNowMs}
          video={video}
          onSignedOut={signedOut}
        />
      </div>
    </div>
  );
}
