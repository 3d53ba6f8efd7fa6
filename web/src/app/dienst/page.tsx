'use client';
/** `/dienst/`: shifts, camera hand-out, teams and units (supervisors and admins; issue 15). */
import { DutyBoard } from '@/components/duty/duty-board';
import { SessionGate } from '@/components/session-gate';

export default function DutyPage() {
  return <SessionGate>{(me) => <DutyBoard me={me} />}</SessionGate>;
}
