/**
 * The right-hand panel: the form for an incident at a picked point, the selected incident or unit,
 * and below them the event log.
 */
import type { MeResponse, UnitLive } from '@lagebild/protocol';
import { acknowledgeAlert } from '@/lib/dispatch-api';
import { incidentLocation } from '@/lib/dispatch-view';
import { changeKeyOf, type IncidentView } from '@/lib/live-incident-view';
import type { LiveSession } from '@/lib/live-session';
import type { LiveEvent } from '@/lib/live-store';
import { labelOf } from '@/lib/unit-filter';
import type { VideoWallModel } from '@/lib/use-video-wall';
import { EventLog } from '../event-log';
import { IncidentDetail } from '../incident-detail';
import { OpenIncidentForm, UnitIncidentAction } from '../open-incident-form';
import { usePreferences } from '../preferences-provider';
import { UnitDetail } from '../unit-detail';
import { WatchLiveButton } from '../video-wall';
import type { LiveSelectionModel } from './use-live-selection';

export function DetailPanel({
  me,
  session,
  live,
  incidentView,
  events,
  serverNowMs,
  video,
  onSignedOut,
}: {
  me: MeResponse;
  session: LiveSession;
  live: LiveSelectionModel;
  incidentView: IncidentView;
  events: readonly LiveEvent[];
  serverNowMs: number;
  video: VideoWallModel;
  onSignedOut(): void;
}) {
  const { t } = usePreferences();
  const units = session.unitStore.units;
  const { selection } = live;
  const selected = selection.unitId ? units.get(selection.unitId) : undefined;
  const incident = selection.incidentId
    ? session.incidentStore.incidents.get(selection.incidentId)
    : undefined;
  const incidentAlerts = incident ? (incidentView.alertsByIncident.get(incident.id) ?? []) : [];
  const incidentRequests = incident ? (incidentView.requestsByIncident.get(incident.id) ?? []) : [];
  return (
    <aside
      className="panel side-panel"
      aria-label={
        incident
          ? t('incident.title', { number: incident.number })
          : selected
            ? t('detail.title')
            : t('events.title')
      }
    >
      {selection.picked && (
        <div className="side-form">
          <OpenIncidentForm
            target={{ location: selection.picked }}
            onOpened={live.opened}
            onCancel={live.cancelPick}
            onSignedOut={onSignedOut}
          />
        </div>
      )}
      {incident && (
        <IncidentDetail
          key={incident.id}
          incident={incident}
          alerts={incidentAlerts}
          requests={incidentRequests}
          location={incidentLocation(incident, units)}
          role={me.user.role}
          serverNowMs={serverNowMs}
          changeKey={changeKeyOf(incident, incidentAlerts, incidentRequests)}
          onClose={live.closeIncident}
          onShowOnMap={() => {
            const at = incidentLocation(incident, units);
            if (at) live.focusOn({ point: at });
          }}
          onAcknowledge={async (alert) => live.acknowledged((await acknowledgeAlert(alert.id)).alert)}
          onRequests={live.requestsChanged}
          onIncident={live.incidentChanged}
          onSignedOut={onSignedOut}
        />
      )}
      {selected && !incident && (
        <UnitDetail
          unit={selected}
          serverNowMs={serverNowMs}
          onClose={live.closeUnit}
          onShowOnMap={() => live.focusOn({ deviceId: selected.deviceId })}
          onSignedOut={onSignedOut}
          actions={<UnitActions unit={selected} live={live} video={video} onSignedOut={onSignedOut} />}
        />
      )}
      <EventLog events={events} units={units} onSelect={live.selectFromList} />
    </aside>
  );
}

/** What can be done with the selected unit: open an incident for it, watch its live stream. */
function UnitActions({
  unit,
  live,
  video,
  onSignedOut,
}: {
  unit: UnitLive;
  live: LiveSelectionModel;
  video: VideoWallModel;
  onSignedOut(): void;
}) {
  return (
    <>
      {unit.unitId ? (
        <UnitIncidentAction
          key={unit.unitId}
          unitId={unit.unitId}
          callsign={labelOf(unit)}
          onOpened={live.opened}
          onSignedOut={onSignedOut}
        />
      ) : null}
      {video.live.has(unit.deviceId) && (
        <WatchLiveButton deviceId={unit.deviceId} callsign={labelOf(unit)} onOpen={video.requestOpen} />
      )}
    </>
  );
}
