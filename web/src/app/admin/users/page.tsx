'use client';
/** `/admin/users/`: the municipality's user accounts, roles, passwords and sessions (admins). */
import { SessionGate } from '@/components/session-gate';
import { UserAdmin } from '@/components/user-admin';

export default function UsersPage() {
  return <SessionGate>{(me) => <UserAdmin me={me} />}</SessionGate>;
}
