'use client';
/** `/audit/`: the audit log for administrators (issue 6). */
import { AuditView } from '@/components/recordings/audit-view';
import { SessionGate } from '@/components/session-gate';

export default function AuditPage() {
  return <SessionGate>{(me) => <AuditView me={me} />}</SessionGate>;
}
