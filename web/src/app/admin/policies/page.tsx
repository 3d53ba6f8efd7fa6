'use client';
/** `/admin/policies/`: the tenant's policies — retention, pre-recording, incidents, alerts (admins). */
import { PolicyAdmin } from '@/components/policy-admin';
import { SessionGate } from '@/components/session-gate';

export default function PoliciesPage() {
  return <SessionGate>{(me) => <PolicyAdmin me={me} />}</SessionGate>;
}
