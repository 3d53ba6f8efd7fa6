/**
 * Language and colour theme, remembered in localStorage. The server-rendered HTML cannot know them,
 * so an inline script in the root layout (PREFERENCES_BOOT_SCRIPT) sets `lang` and `data-theme` on
 * <html> before the first paint, and React reads the same values through useSyncExternalStore (which
 * renders the server default during hydration and the stored value right after, without a mismatch).
 * Without a stored theme the system setting (prefers-color-scheme) decides, and follows its changes.
 */
import { DEFAULT_LANGUAGE, isLanguage, type Language } from './i18n.ts';

export type Theme = 'light' | 'dark';
export const LANGUAGE_KEY = 'lagebild.lang';
export const THEME_KEY = 'lagebild.theme';

/** Runs before paint; keep it tiny and free of dependencies. */
export const PREFERENCES_BOOT_SCRIPT = `(function(){try{var d=document.documentElement;var l=localStorage.getItem('${LANGUAGE_KEY}');if(l==='de'||l==='en')d.lang=l;var t=localStorage.getItem('${THEME_KEY}');if(t!=='light'&&t!=='dark')t=window.matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light';d.setAttribute('data-theme',t)}catch(e){}})()`;

function read(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // private mode or storage disabled: the choice lasts for this page only
  }
}

const listeners = new Set<() => void>();
function notify(): void {
  for (const listener of listeners) listener();
}

export function subscribePreferences(listener: () => void): () => void {
  listeners.add(listener);
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const onStorage = (e: StorageEvent) => {
    if (e.key === LANGUAGE_KEY || e.key === THEME_KEY) listener();
  };
  media.addEventListener('change', listener);
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    media.removeEventListener('change', listener);
    window.removeEventListener('storage', onStorage);
  };
}

export function getLanguage(): Language {
  const stored = read(LANGUAGE_KEY);
  return isLanguage(stored) ? stored : DEFAULT_LANGUAGE;
}

export function getTheme(): Theme {
  const stored = read(THEME_KEY);
  if (stored === 'light' || stored === 'dark') return stored;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function setLanguage(lang: Language): void {
  write(LANGUAGE_KEY, lang);
  document.documentElement.lang = lang;
  notify();
}

export function setTheme(theme: Theme): void {
  write(THEME_KEY, theme);
  document.documentElement.setAttribute('data-theme', theme);
  notify();
}

export const serverLanguage = (): Language => DEFAULT_LANGUAGE;
export const serverTheme = (): Theme => 'light';
