// One form component for every dialog: fields are data, API errors land next to the field they name.
import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../api/client.ts';
import { fieldForError } from '../api/field-errors.ts';
import { initialValues, visibleValues, type FieldSpec, type FormValue, type FormValues, type SelectOption } from './fields.ts';

export interface FormProps {
  fields: readonly FieldSpec[];
  submitLabel: string;
  onSubmit: (values: FormValues) => Promise<void>;
  onCancel?: () => void;
  initial?: FormValues;
  testId?: string;
  children?: ReactNode;
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

/** A choice made before a form is shown, because it decides the form's fields (the cluster a new host joins). */
export function ChooserField({ id, name, label, value, options, onChange }: { id: string; name: string; label: string; value: string; options: readonly SelectOption[]; onChange: (value: string) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">Select…</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}
