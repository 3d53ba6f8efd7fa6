/** The Incidents tab: open (and just closed) incidents with their alerts and backup requests. */
import type { IncidentView } from '@/lib/live-incident-view';
import { IncidentList } from '../incident-list';
import { usePreferences } from '../preferences-provider';
import { SideTabPanel } from './side-tabs';

export function IncidentsTab({
  shown,
  view,
  openCount,
  serverNowMs,
  selectedId,
  onSelect,
}: {
  shown: boolean;
  view: IncidentView;
  openCount: number;
  serverNowMs: number;
  selectedId: string | null;
  onSelect(incidentId: string): void;
}) {
  const { t } = usePreferences();
  return (
    <SideTabPanel id="incidents" shown={shown}>
      <div className="panel-heading">
        <h2 className="panel-title">{t('incidents.title')}</h2>
        <span className="muted">{t('incidents.count', { n: openCount })}</span>
      </div>
      <IncidentList
        incidents={view.incidents}
        alertsByIncident={view.alertsByIncident}
        requestsByIncident={view.requestsByIncident}
        serverNowMs={serverNowMs}
        selectedId={selectedId}
        onSelect={onSelect}
      />
    </SideTabPanel>
  );
}
