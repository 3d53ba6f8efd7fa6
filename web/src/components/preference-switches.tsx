'use client';
/** Language and theme switches, shared by the header and the login page. */
import { usePreferences } from './preferences-provider';

export function LanguageSwitch() {
  const { t, lang, setLanguage } = usePreferences();
  const other = lang === 'de' ? 'en' : 'de';
  return (
    <button type="button" className="button button-quiet" lang={other} onClick={() => setLanguage(other)}>
      {t('header.switchToLanguage')}
    </button>
  );
}

export function ThemeSwitch() {
  const { t, theme, toggleTheme } = usePreferences();
  return (
    <button
      type="button"
      className="button button-quiet"
      aria-pressed={theme === 'dark'}
      onClick={toggleTheme}
    >
      <span aria-hidden="true" className="theme-icon">
        ☾
      </span>{' '}
      {t('header.darkTheme')}
    </button>
  );
}
