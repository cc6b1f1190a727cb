import { invalidParameter } from '../errors.ts';
import type { CustomActionParameterInput } from '../services.ts';
import type { CustomActionParameter, ParameterType, ValidationFormat } from '../types.ts';

const TYPES: readonly ParameterType[] = ['STRING', 'NUMBER', 'BOOLEAN', 'DATE'];
const FORMATS: readonly ValidationFormat[] = ['NONE', 'UUID', 'EMAIL', 'PASSWORD', 'URL', 'DECIMAL'];
const FORMATS_BY_TYPE: Readonly<Record<ParameterType, readonly ValidationFormat[]>> = {
  STRING: ['NONE', 'UUID', 'EMAIL', 'PASSWORD', 'URL'],
  NUMBER: ['NONE', 'DECIMAL'],
  BOOLEAN: ['NONE'],
  DATE: ['NONE'],
};
const UUID_PATTERN = /^[0-9a-f]{1,8}-[0-9a-f]{1,4}-[0-9a-f]{1,4}-[0-9a-f]{1,4}-[0-9a-f]{1,12}$/i;
const EMAIL_PATTERN = /^[A-Za-z0-9+_.-]+@[A-Za-z0-9.-]+$/;
const INTEGER_PATTERN = /^[+-]?\d+$/;
const DECIMAL_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function isUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** Checks one value against a STRING/NUMBER definition (used for options and runtime values). */
function valueFits(parameter: { type: ParameterType; validationFormat: ValidationFormat }, value: string): boolean {
  if (parameter.type === 'NUMBER') {
    return parameter.validationFormat === 'DECIMAL' ? DECIMAL_PATTERN.test(value) : INTEGER_PATTERN.test(value) && Math.abs(Number(value)) <= 2 ** 31 - 1;
  }
  if (parameter.type === 'STRING') {
    switch (parameter.validationFormat) {
      case 'UUID':
        return UUID_PATTERN.test(value);
      case 'EMAIL':
        return EMAIL_PATTERN.test(value);
      case 'PASSWORD':
        return value.trim() !== '';
      case 'URL':
        return isUrl(value);
      default:
        return true;
    }
  }
  return true;
}

/** Parses parameter definitions as `addCustomAction`/`updateCustomAction` receive them ([ECA] `fromMap`). */
export function parseParameterDefinitions(inputs: readonly CustomActionParameterInput[]): CustomActionParameter[] {
  const seen = new Set<string>();
  return inputs.map((input) => {
    const name = input.name?.trim();
    if (!name) throw invalidParameter('Invalid parameter specified with empty name', 'parameters');
    if (seen.has(name)) throw invalidParameter(`Duplicate parameter name: ${name}`, 'parameters');
    seen.add(name);
    if (!input.type?.trim()) throw invalidParameter(`No type specified for parameter: ${name}`, 'parameters');
    const type = input.type.trim().toUpperCase() as ParameterType;
    if (!TYPES.includes(type)) throw invalidParameter(`Invalid type: ${input.type} specified for parameter: ${name}`, 'parameters');
    const format = (input.validationFormat?.trim() ? input.validationFormat.trim().toUpperCase() : 'NONE') as ValidationFormat;
    if (!FORMATS.includes(format) || !FORMATS_BY_TYPE[type].includes(format)) {
      throw invalidParameter(`Invalid validation format: ${input.validationFormat} specified for type: ${type}`, 'parameters');
    }
    const rawOptions = input.valueOptions;
    const options = (Array.isArray(rawOptions) ? rawOptions : (rawOptions ?? '').split(','))
      .map((option) => option.trim())
      .filter((option) => option !== '');
    if (options.length > 0) {
      if (type !== 'STRING' && type !== 'NUMBER') throw invalidParameter(`Options not supported for type: ${type}`, 'parameters');
      for (const option of options) {
        if (!valueFits({ type, validationFormat: format }, option)) {
          throw invalidParameter(`Invalid value option: ${option} for parameter: ${name}`, 'parameters');
        }
      }
    }
    const required = typeof input.required === 'boolean' ? input.required : String(input.required ?? '').toLowerCase() === 'true';
    return { name, type, validationFormat: format, ...(options.length > 0 ? { valueOptions: options } : {}), required };
  });
}

/** Thrown (and turned into CloudStack's message) when a runtime value does not fit its definition. */
export class ParameterValueError extends Error {
  override readonly name = 'ParameterValueError';
}

/**
 * Validates and types the values supplied to `runCustomAction` ([ECA] `validateParameterValues`): required
 * ones present, defined ones typed (BOOLEAN → boolean, NUMBER → number, DATE → string as given), unknown
 * ones passed through as strings; with no definitions, everything supplied is dropped.
 */
export function validateParameterValues(definitions: readonly CustomActionParameter[], supplied: Record<string, string>): Record<string, unknown> {
  if (definitions.length === 0) return {};
  const byName = new Map(definitions.map((definition) => [definition.name, definition]));
  for (const definition of definitions) {
    if (definition.required && (supplied[definition.name] === undefined || supplied[definition.name]?.trim() === '')) {
      throw new ParameterValueError(`Missing or empty required parameter: ${definition.name}`);
    }
  }
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(supplied)) {
    const definition = byName.get(name);
    if (!definition) {
      result[name] = value;
      continue;
    }
    if (value.trim() === '') throw new ParameterValueError(`Empty value for parameter '${name}': ${value}`);
    const invalid = () => new ParameterValueError(`Invalid value for parameter '${name}': ${value}`);
    switch (definition.type) {
      case 'BOOLEAN':
        if (value !== 'true' && value !== 'false') throw invalid();
        result[name] = value === 'true';
        break;
      case 'NUMBER':
        if (!valueFits(definition, value)) throw invalid();
        if (definition.valueOptions && !definition.valueOptions.some((option) => Number(option) === Number(value))) throw invalid();
        result[name] = Number(value);
        break;
      case 'DATE':
        if (Number.isNaN(Date.parse(value))) throw invalid();
        result[name] = value;
        break;
      default:
        if (!valueFits(definition, value)) throw invalid();
        if (definition.valueOptions && !definition.valueOptions.includes(value)) throw invalid();
        result[name] = value;
    }
  }
  return result;
}

/** `{{actionName}}`, `{{extensionName}}`, `{{resourceName}}` in success/error messages ([EMI] `getActionMessage`). */
export function renderActionMessage(
  template: string | null,
  fallback: 'success' | 'error',
  values: { actionName: string; extensionName: string; resourceName: string },
): string {
  if (!template || template.trim() === '') {
    return fallback === 'success' ? `Successfully completed ${values.actionName}` : `Failed to complete ${values.actionName}`;
  }
  return template
    .replaceAll('{{actionName}}', values.actionName)
    .replaceAll('{{extensionName}}', values.extensionName)
    .replaceAll('{{resourceName}}', values.resourceName);
}
