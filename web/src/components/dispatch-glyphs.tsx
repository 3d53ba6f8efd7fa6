'use client';
/**
 * Small inline SVG icons of this feature: request states, travel mode, alert kinds and the incident
 * marker (the same pin as on the map). Each state has its own shape, so chips stay readable without
 * colour; all are decorative (the text beside them carries the meaning).
 */
import type { DispatchState, IncidentKind, TravelMode } from '@lagebild/protocol';
import { REQUEST_STATE_VIEW } from '@/lib/dispatch-view';
import { usePreferences } from './preferences-provider';

function Svg({ size, className, children }: { size: number; className: string; children: React.ReactNode }) {
  return (
    <svg
      className={`icon ${className}`}
      width={size}
      height={size}
      viewBox="-8 -8 16 16"
      aria-hidden="true"
      focusable="false"
    >
      {children}
    </svg>
  );
}

export function StateIcon({ state, size = 14 }: { state: DispatchState; size?: number }) {
  return (
    <Svg size={size} className={`state-icon state-icon-${state}`}>
      {state === 'sent' && <path d="M-6 0 H4 M1 -4 L5 0 L1 4" className="icon-stroke" />}
      {state === 'delivered' && (
        <>
          <path d="M-6 0 L-3 3 L2 -3" className="icon-stroke" />
          <path d="M-1 2 L0 3 L6 -3" className="icon-stroke" />
        </>
      )}
      {state === 'accepted' && <path d="M-5 0 L-1.5 4 L5.5 -4" className="icon-stroke icon-bold" />}
      {state === 'en_route' && <path d="M-6 -5 L6 0 L-6 5 L-3 0 Z" className="icon-fill" />}
      {state === 'on_scene' && (
        <>
          <path d="M-4 7 V-7" className="icon-stroke" />
          <path d="M-4 -7 L6 -4 L-4 -1 Z" className="icon-fill" />
        </>
      )}
      {state === 'declined' && (
        <path d="M-4.5 -4.5 L4.5 4.5 M4.5 -4.5 L-4.5 4.5" className="icon-stroke icon-bold" />
      )}
      {state === 'timeout' && (
        <>
          <circle r="6" className="icon-stroke" />
          <path d="M0 -3.5 V0 L3 2" className="icon-stroke" />
        </>
      )}
      {state === 'cancelled' && <path d="M-6 0 H6" className="icon-stroke icon-bold" />}
    </Svg>
  );
}

export function RequestStateChip({ state, count }: { state: DispatchState; count?: number }) {
  const { t } = usePreferences();
  const view = REQUEST_STATE_VIEW[state];
  return (
    <span className={`request-chip tone-${view.tone}`}>
      <StateIcon state={state} />
      {count !== undefined && <span className="request-chip-count">{count}</span>}
      {t(view.label)}
    </span>
  );
}

export function ModeIcon({ mode, size = 16 }: { mode: TravelMode; size?: number }) {
  return (
    <Svg size={size} className={`mode-icon mode-icon-${mode}`}>
      {mode === 'foot' ? (
        <>
          <circle cx="0.5" cy="-5.5" r="1.8" className="icon-fill" />
          <path d="M0 -3 L-1 2 L-4 7 M-1 2 L2 7 M-1 -2 L-4 1 M-0.5 -2 L3 0" className="icon-stroke" />
        </>
      ) : (
        <>
          <path d="M-7 3 V-1 L-5 -5 H5 L7 -1 V3 Z" className="icon-fill" />
          <circle cx="-4" cy="4" r="2" className="icon-fill icon-cut" />
          <circle cx="4" cy="4" r="2" className="icon-fill icon-cut" />
        </>
      )}
    </Svg>
  );
}

/** Alert kinds: emergency a triangle with "!", recording a ringed dot, manual a square. */
export function AlertKindIcon({ kind, size = 22 }: { kind: IncidentKind; size?: number }) {
  return (
    <Svg size={size} className={`alert-icon alert-icon-${kind}`}>
      {kind === 'emergency' && (
        <>
          <path d="M0 -7.5 L7.5 6 H-7.5 Z" className="icon-fill" />
          <path d="M0 -3 V1.8 M0 3.4 V3.6" className="icon-stroke icon-on-fill" />
        </>
      )}
      {kind === 'recording' && (
        <>
          <circle r="6.8" className="icon-stroke" />
          <circle r="3.6" className="icon-fill" />
        </>
      )}
      {kind === 'manual' && <rect x="-5.5" y="-5.5" width="11" height="11" rx="1.5" className="icon-fill" />}
    </Svg>
  );
}

/** The incident marker of the map: a pin with a ring, in the incident colour. */
export function IncidentPinIcon({ size = 18 }: { size?: number }) {
  return (
    <Svg size={size} className="incident-pin-icon">
      <path d="M0 7.5 L-5 -0.5 A6 6 0 1 1 5 -0.5 Z" className="icon-fill" />
      <circle cy="-3.5" r="2.3" className="icon-hole" />
    </Svg>
  );
}

/** Map decorations of a unit that is on its way (dashed ring) or has arrived (double ring). */
export function BackupDecorationIcon({ kind, size = 18 }: { kind: 'en_route' | 'on_scene'; size?: number }) {
  return (
    <Svg size={size} className={`backup-icon backup-icon-${kind}`}>
      {kind === 'en_route' ? (
        <>
          <circle r="6.5" className="icon-stroke icon-dashed" />
          <circle r="2.6" className="icon-fill" />
        </>
      ) : (
        <>
          <circle r="6.5" className="icon-stroke icon-bold" />
          <circle r="3.4" className="icon-stroke" />
        </>
      )}
    </Svg>
  );
}
