'use client';
/** `/admin/sign-in/`: how the municipality's staff sign in — second factor, passwords, identity provider (admins). */
import { SessionGate } from '@/components/session-gate';
import { SignInSettingsAdmin } from '@/components/sign-in-settings-admin';

export default function SignInSettingsPage() {
  return <SessionGate>{(me) => <SignInSettingsAdmin me={me} />}</SessionGate>;
}
