'use client';
/** Makes language, translation function and theme available to every client component. */
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useSyncExternalStore,
} from 'react';
import { type Language, type MessageKey, type MessageParams, type Translate, translate } from '@/lib/i18n';
import {
  getLanguage,
  getTheme,
  serverLanguage,
  serverTheme,
  setLanguage,
  setTheme,
  subscribePreferences,
  type Theme,
} from '@/lib/preferences';

interface Preferences {
  lang: Language;
  theme: Theme;
  t: Translate;
  setLanguage(lang: Language): void;
  toggleTheme(): void;
}

const PreferencesContext = createContext<Preferences | null>(null);

export function PreferencesProvider({ children }: { children: ReactNode }) {
  const lang = useSyncExternalStore(subscribePreferences, getLanguage, serverLanguage);
  const theme = useSyncExternalStore(subscribePreferences, getTheme, serverTheme);

  // keep <html> in step when the system theme or another tab changes the preference
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  useEffect(() => {
    document.documentElement.setAttribute('data-theme', theme);
  }, [theme]);

  const t = useCallback((key: MessageKey, params?: MessageParams) => translate(lang, key, params), [lang]);
  const value = useMemo<Preferences>(
    () => ({ lang, theme, t, setLanguage, toggleTheme: () => setTheme(theme === 'dark' ? 'light' : 'dark') }),
    [lang, theme, t],
  );
  return <PreferencesContext.Provider value={value}>{children}</PreferencesContext.Provider>;
}

export function usePreferences(): Preferences {
  const value = useContext(PreferencesContext);
  if (!value) throw new Error('usePreferences() needs a <PreferencesProvider> above it (see app/layout.tsx)');
  return value;
}
