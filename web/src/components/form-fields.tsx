'use client';
/**
 * Form fields that several forms ask for the same way: a password (sign-in, first password), a
 * user's role, and the reason an administrative change needs (kept in the audit log, at least 5 characters).
 * Labels, hints and error ids are wired for screen readers here once.
 */
import { Role } from '@lagebild/protocol';
import { usePreferences } from './preferences-provider';

export function PasswordField({
  id,
  name,
  label,
  autoComplete,
  value,
  onChange,
  invalid,
  describedBy,
  hint,
}: {
  id: string;
  name: string;
  label: string;
  autoComplete: 'current-password' | 'new-password';
  value: string;
  onChange(value: string): void;
  invalid: boolean;
  /** ids of the elements that describe the field (its hint, the form's error) */
  describedBy?: string;
  hint?: { id: string; text: string };
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        type="password"
        autoComplete={autoComplete}
        required
        aria-describedby={describedBy}
        aria-invalid={invalid || undefined}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
      {hint && (
        <span id={hint.id} className="field-hint">
          {hint.text}
        </span>
      )}
    </div>
  );
}

export function RoleField({ id, value, onChange }: { id: string; value: Role; onChange(role: Role): void }) {
  const { t } = usePreferences();
  return (
    <div className="field">
      <label htmlFor={id}>{t('users.field.role')}</label>
      <select id={id} value={value} onChange={(e) => onChange(Role.parse(e.target.value))}>
        {Role.options.map((r) => (
          <option key={r} value={r}>
            {t(`role.${r}`)}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The reason for an administrative change; its hint has the id `${id}-hint`. */
export function ReasonField({
  id,
  value,
  onChange,
  errorId,
  invalid,
}: {
  id: string;
  value: string;
  onChange(value: string): void;
  /** the id of the form's error line */
  errorId: string;
  /** leave undefined where the field is never marked invalid */
  invalid?: boolean;
}) {
  const { t } = usePreferences();
  return (
    <div className="field">
      <label htmlFor={id}>{t('users.field.reason')}</label>
      <input
        id={id}
        value={value}
        maxLength={500}
        autoComplete="off"
        aria-describedby={`${id}-hint ${errorId}`}
        aria-invalid={invalid || undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      <span id={`${id}-hint`} className="field-hint">
        {t('users.field.reason.hint')}
      </span>
    </div>
  );
}
