/**
 * Root layout: German by default; the boot script applies the remembered language and theme before
 * the first paint. Everything below is client-rendered against the gateway's API.
 */
import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { PreferencesProvider } from '@/components/preferences-provider';
import { PREFERENCES_BOOT_SCRIPT } from '@/lib/preferences';
import './globals.css';

export const metadata: Metadata = {
  title: 'Lagebild',
  description: 'Leitstelle Ordnungsdienst: Lagekarte der Bodycams',
  robots: { index: false, follow: false },
};

export const viewport: Viewport = {
  colorScheme: 'light dark',
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: '#f4f6f8' },
    { media: '(prefers-color-scheme: dark)', color: '#11161c' },
  ],
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="de" data-theme="light" suppressHydrationWarning>
      <head>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: constant script, see lib/preferences.ts */}
        <script dangerouslySetInnerHTML={{ __html: PREFERENCES_BOOT_SCRIPT }} />
      </head>
      <body>
        <PreferencesProvider>{children}</PreferencesProvider>
      </body>
    </html>
  );
}
