'use client';
/** `/admin/devices/`: device provisioning and revocation (admins). */
import { DeviceAdmin } from '@/components/device-admin';
import { SessionGate } from '@/components/session-gate';

export default function DevicesPage() {
  return <SessionGate>{(me) => <DeviceAdmin me={me} />}</SessionGate>;
}
