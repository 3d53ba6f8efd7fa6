'use client';
/** `/`: the live map of the signed-in user's municipality. */
import { LiveView } from '@/components/live-view';
import { SessionGate } from '@/components/session-gate';

export default function MapPage() {
  return <SessionGate>{(me) => <LiveView me={me} />}</SessionGate>;
}
