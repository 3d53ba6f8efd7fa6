'use client';
import { BackupDecorationIcon, IncidentPinIcon } from '@/components/dispatch-glyphs';
/** Explains the map's shapes; the same shapes are used as icons in the unit list and filters. */
import { usePreferences } from '@/components/preferences-provider';
import { StageGlyph } from '@/components/stage-glyph';

export function MapLegend({ withIncidents = false }: { withIncidents?: boolean }) {
  const { t } = usePreferences();
  return (
    <section className="map-legend" aria-label={t('map.legend')}>
      <ul>
        <li>
          <StageGlyph status="standby" /> {t('stage.standby')}
        </li>
        <li>
          <StageGlyph status="display" /> {t('stage.display')}
        </li>
        <li>
          <StageGlyph status="recording" /> {t('stage.recording')}
        </li>
        <li>
          <StageGlyph status="emergency" /> {t('stage.emergency')}
        </li>
        <li>
          <StageGlyph status="lost" /> {t('stage.lost')}
        </li>
        {withIncidents && (
          <>
            <li>
              <IncidentPinIcon /> {t('map.legend.incident')}
            </li>
            <li>
              <BackupDecorationIcon kind="en_route" /> {t('map.legend.enRoute')}
            </li>
            <li>
              <BackupDecorationIcon kind="on_scene" /> {t('map.legend.onScene')}
            </li>
          </>
        )}
      </ul>
    </section>
  );
}
