// What a form is made of, as data: field specs, values, select options (no React, so Node tests can use it).
import type { ApiObject } from '../api/types.ts';

export type FormValue = string | boolean;
export type FormValues = Record<string, FormValue>;

export interface SelectOption {
  readonly value: string;
  readonly label: string;
}

export interface FieldSpec {
  /** Key in the form values and the input's `name`. */
  name: string;
  label: string;
  /** The API parameter this field feeds (defaults to `name`); errors naming it are shown at the field. */
  param?: string;
  kind?: 'text' | 'password' | 'number' | 'select' | 'checkbox' | 'textarea' | 'datetime';
  options?: readonly SelectOption[];
  required?: boolean;
  placeholder?: string;
  help?: string;
  step?: string;
  defaultValue?: FormValue;
  /** Shown only when this returns true (e.g. `iso_path` only for ISO templates). */
  visible?: (values: FormValues) => boolean;
}

/** API objects as select options: the id as value, the name as label, with `aside` (when it says something) in brackets. */
export function optionsOf(items: readonly ApiObject[] | undefined, aside?: (item: ApiObject) => unknown): SelectOption[] {
  return (items ?? []).map((item) => {
    const extra = aside?.(item);
    return { value: String(item.id), label: extra ? `${String(item.name)} (${String(extra)})` : String(item.name) };
  });
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
