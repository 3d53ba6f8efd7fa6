'use client';
/** `/recordings/`: the recordings library (issue 6). */
import { RecordingsLibrary } from '@/components/recordings/recordings-library';
import { SessionGate } from '@/components/session-gate';

export default function RecordingsPage() {
  return <SessionGate>{(me) => <RecordingsLibrary me={me} />}</SessionGate>;
}
