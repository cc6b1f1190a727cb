// One form component for every dialog: fields are data, API errors land next to the field they name.
import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../api/client.ts';
import { fieldForError } from '../api/field-errors.ts';

export type FormValue = string | boolean;
export type FormValues = Record<string, FormValue>;

export interface FieldSpec {
  /** Key in the form values and the input's `name`. */
  name: string;
  label: string;
  /** The API parameter this field feeds (defaults to `name`); errors naming it are shown at the field. */
  param?: string;
  kind?: 'text' | 'password' | 'number' | 'select' | 'checkbox' | 'textarea' | 'datetime';
  options?: ReadonlyArray<{ value: string; label: string }>;
  required?: boolean;
  placeholder?: string;
  help?: string;
  step?: string;
  defaultValue?: FormValue;
  /** Shown only when this returns true (e.g. `iso_path` only for ISO templates). */
  visible?: (values: FormValues) => boolean;
}

export interface FormProps {
  fields: readonly FieldSpec[];
  submitLabel: string;
  onSubmit: (values: FormValues) => Promise<void>;
  onCancel?: () => void;
  initial?: FormValues;
  testId?: string;
  children?: ReactNode;
}

export function initialValues(fields: readonly FieldSpec[], initial: FormValues = {}): FormValues {
  const values: FormValues = {};
  for (const field of fields) values[field.name] = initial[field.name] ?? field.defaultValue ?? (field.kind === 'checkbox' ? false : '');
  return values;
}

/** Values of the visible fields only, trimmed; empty strings are dropped so the API sees "not given". */
export function visibleValues(fields: readonly FieldSpec[], values: FormValues): FormValues {
  const result: FormValues = {};
  for (const field of fields) {
    if (field.visible && !field.visible(values)) continue;
    const value = values[field.name];
    if (typeof value === 'string') {
      if (value.trim() !== '') result[field.name] = value.trim();
    } else if (value !== undefined) result[field.name] = value;
  }
  return result;
}

export function Form({ fields, submitLabel, onSubmit, onCancel, initial, testId, children }: FormProps) {
  const [values, setValues] = useState<FormValues>(() => initialValues(fields, initial));
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);

  const shown = fields.filter((field) => !field.visible || field.visible(values));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const missing: Record<string, string> = {};
    for (const field of shown) {
      const value = values[field.name];
      if (field.required && field.kind !== 'checkbox' && (typeof value !== 'string' || value.trim() === '')) missing[field.name] = `${field.label} is required`;
    }
    setFieldErrors(missing);
    setFormError('');
    if (Object.keys(missing).length > 0) return;
    setBusy(true);
    try {
      await onSubmit(visibleValues(fields, values));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const params = Object.fromEntries(shown.map((field) => [field.name, field.param ?? field.name]));
      const field = error instanceof ApiError ? fieldForError(message, params) : undefined;
      if (field) setFieldErrors({ [field]: message });
      else setFormError(message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" data-testid={testId} onSubmit={submit} noValidate>
      {shown.map((field) => (
        <Field
          key={field.name}
          field={field}
          value={values[field.name] ?? ''}
          error={fieldErrors[field.name]}
          onChange={(value) => setValues((current) => ({ ...current, [field.name]: value }))}
        />
      ))}
      {children}
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      <div className="form-buttons">
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
        <button type="submit" disabled={busy} data-testid="submit">
          {busy ? 'Working…' : submitLabel}
        </button>
      </div>
    </form>
  );
}

function Field({ field, value, error, onChange }: { field: FieldSpec; value: FormValue; error: string | undefined; onChange: (value: FormValue) => void }) {
  const id = `field-${field.name}`;
  const common = { id, name: field.name, 'aria-invalid': error ? true : undefined, 'aria-describedby': error ? `${id}-error` : undefined };
  let input: ReactNode;
  switch (field.kind) {
    case 'checkbox':
      input = <input {...common} type="checkbox" checked={value === true} onChange={(event) => onChange(event.target.checked)} />;
      break;
    case 'select':
      input = (
        <select {...common} value={String(value)} onChange={(event) => onChange(event.target.value)}>
          {!field.required && <option value="">—</option>}
          {field.required && value === '' && <option value="">Select…</option>}
          {(field.options ?? []).map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      );
      break;
    case 'textarea':
      input = <textarea {...common} value={String(value)} placeholder={field.placeholder} onChange={(event) => onChange(event.target.value)} />;
      break;
    default:
      input = (
        <input
          {...common}
          type={field.kind === 'datetime' ? 'datetime-local' : (field.kind ?? 'text')}
          step={field.step}
          autoComplete={field.kind === 'password' ? 'new-password' : 'off'}
          value={String(value)}
          placeholder={field.placeholder}
          onChange={(event) => onChange(event.target.value)}
        />
      );
  }
  return (
    <div className={`field${field.kind === 'checkbox' ? ' field-checkbox' : ''}${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>
        {field.label}
        {field.required && <span className="required"> *</span>}
      </label>
      {input}
      {field.help && <small className="help">{field.help}</small>}
      {error && (
        <small className="field-error" id={`${id}-error`} role="alert">
          {error}
        </small>
      )}
    </div>
  );
}
