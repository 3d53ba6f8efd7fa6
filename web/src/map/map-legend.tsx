'use client';
/** Explains the map's shapes; the same shapes are used as icons in the unit list and filters. */
import { usePreferences } from '@/components/preferences-provider';
import { StageGlyph } from '@/components/stage-glyph';

export function MapLegend() {
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
      </ul>
    </section>
  );
}
