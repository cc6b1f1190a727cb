// Add or edit a custom action (orchestrator.md §21): name, description, resource type, allowed role types,
// parameter definitions (name, type, validation format, value options, required), messages, timeout, enabled, details.
import { useState } from 'react';
import type { ApiObject } from '../api/client.ts';
import { keyValueLines, listParam, mapParam } from '../api/params.ts';
import { useConsole } from '../app/context.ts';
import type { FieldSpec, FormValues } from '../components/fields.ts';
import { FormDialog } from '../components/FormDialog.tsx';
import type { ExtensionRow } from './ExtensionsPage.tsx';
import { keyValueField, keyValuesOf } from './extension-forms.ts';

export interface ParameterDefinition extends Record<string, unknown> {
  name: string;
  type: 'STRING' | 'NUMBER' | 'BOOLEAN' | 'DATE';
  validationformat?: string;
  valueoptions?: string[];
  required?: boolean;
}

export interface CustomActionRow extends ApiObject {
  id: string;
  name: string;
  description?: string;
  extensionid?: string;
  extensionname?: string;
  resourcetype?: string;
  allowedroletypes?: string[];
  successmessage?: string;
  errormessage?: string;
  timeout?: number;
  enabled?: boolean;
  details?: Record<string, string>;
  parameters?: ParameterDefinition[];
  created?: string;
}

const ROLE_TYPES = ['Admin', 'ResourceAdmin', 'DomainAdmin', 'User'] as const;
const PARAMETER_TYPES = ['STRING', 'NUMBER', 'BOOLEAN', 'DATE'] as const;
/** Which validation formats CloudStack accepts with each type (orchestrator.md §9.3). */
const FORMATS_BY_TYPE: Record<string, readonly string[]> = {
  STRING: ['NONE', 'UUID', 'EMAIL', 'PASSWORD', 'URL'],
  NUMBER: ['NONE', 'DECIMAL'],
  BOOLEAN: ['NONE'],
  DATE: ['NONE'],
};
/** The add form's timeout default, as in CloudStack's UI. */
const DEFAULT_TIMEOUT_SECONDS = '5';

interface ParameterDraft {
  name: string;
  type: string;
  validationformat: string;
  valueoptions: string;
  required: boolean;
}

export function CustomActionDialog({ extension, action, onClose, onDone }: { extension: ExtensionRow; action: CustomActionRow | undefined; onClose: () => void; onDone: () => Promise<void> }) {
  const { session } = useConsole();
  const [parameters, setParameters] = useState<ParameterDraft[]>(() =>
    (action?.parameters ?? []).map((parameter) => ({
      name: parameter.name,
      type: parameter.type,
      validationformat: parameter.validationformat ?? 'NONE',
      valueoptions: (parameter.valueoptions ?? []).join(','),
      required: parameter.required === true,
    })),
  );
  const roles = new Set(action?.allowedroletypes ?? ['Admin']);

  const fields: FieldSpec[] = [
    ...(action ? [] : [{ name: 'name', label: 'Name', required: true, help: 'Letters, digits, space, hyphen and underscore' } satisfies FieldSpec]),
    { name: 'description', label: 'Description' },
    { name: 'resourcetype', label: 'Resource type', kind: 'select', defaultValue: 'VirtualMachine', options: [{ value: 'VirtualMachine', label: 'VirtualMachine' }] },
    ...ROLE_TYPES.map((role): FieldSpec => ({ name: `role_${role}`, label: `Allowed for ${role}`, kind: 'checkbox', param: 'allowedroletypes' })),
    { name: 'successmessage', label: 'Success message', placeholder: 'Successfully completed {{actionName}}' },
    { name: 'errormessage', label: 'Error message', placeholder: 'Failed to complete {{actionName}}' },
    { name: 'timeout', label: 'Timeout (seconds)', kind: 'number', defaultValue: DEFAULT_TIMEOUT_SECONDS },
    { name: 'enabled', label: 'Enabled', kind: 'checkbox', defaultValue: true },
    keyValueField('details'),
  ];
  const initial: FormValues = action
    ? {
        description: action.description ?? '',
        resourcetype: action.resourcetype ?? 'VirtualMachine',
        successmessage: action.successmessage ?? '',
        errormessage: action.errormessage ?? '',
        timeout: String(action.timeout ?? DEFAULT_TIMEOUT_SECONDS),
        enabled: action.enabled === true,
        details: keyValueLines(action.details),
        ...Object.fromEntries(ROLE_TYPES.map((role) => [`role_${role}`, roles.has(role)])),
      }
    : { role_Admin: true };

  const update = (index: number, patch: Partial<ParameterDraft>) => setParameters((current) => current.map((parameter, at) => (at === index ? { ...parameter, ...patch } : parameter)));

  return (
    <FormDialog
      title={action ? `Edit custom action ${action.name}` : `Add custom action to ${extension.name}`}
      testId="custom-action-dialog"
      onClose={onClose}
      submitLabel={action ? 'Save' : 'Add'}
      fields={fields}
      initial={initial}
      onSubmit={async (values) => {
        const allowed = ROLE_TYPES.filter((role) => values[`role_${role}`] === true);
        const details = keyValuesOf(values, 'details');
        const definitions = parameters
          .filter((parameter) => parameter.name.trim() !== '')
          .map((parameter) => ({
            name: parameter.name.trim(),
            type: parameter.type,
            validationformat: parameter.validationformat,
            required: parameter.required,
            valueoptions: parameter.valueoptions.trim() || undefined,
          }));
        const common = {
          description: values.description as string | undefined,
          resourcetype: values.resourcetype as string | undefined,
          allowedroletypes: allowed.join(','),
          successmessage: values.successmessage as string | undefined,
          errormessage: values.errormessage as string | undefined,
          timeout: values.timeout as string | undefined,
          enabled: values.enabled === true,
          ...listParam('parameters', definitions),
          ...mapParam('details', details),
        };
        if (action) {
          await session.call('updateCustomAction', {
            id: action.id,
            ...common,
            ...(definitions.length === 0 && (action.parameters ?? []).length > 0 ? { cleanupparameters: true } : {}),
            ...(Object.keys(details).length === 0 && Object.keys(action.details ?? {}).length > 0 ? { cleanupdetails: true } : {}),
          });
        } else {
          await session.call('addCustomAction', { extensionid: extension.id, name: String(values.name), ...common });
        }
        onClose();
        await onDone();
      }}
    >
      <fieldset className="parameters-editor" data-testid="parameters-editor">
        <legend>Parameters</legend>
        {parameters.map((parameter, index) => (
          <div className="parameter-row" key={index} data-parameter={index}>
            <input aria-label="Parameter name" name={`parameter-${index}-name`} placeholder="name" value={parameter.name} onChange={(event) => update(index, { name: event.target.value })} />
            <select aria-label="Parameter type" name={`parameter-${index}-type`} value={parameter.type} onChange={(event) => update(index, { type: event.target.value, validationformat: 'NONE' })}>
              {PARAMETER_TYPES.map((type) => (
                <option key={type}>{type}</option>
              ))}
            </select>
            <select aria-label="Validation format" name={`parameter-${index}-validationformat`} value={parameter.validationformat} onChange={(event) => update(index, { validationformat: event.target.value })}>
              {(FORMATS_BY_TYPE[parameter.type] ?? ['NONE']).map((format) => (
                <option key={format}>{format}</option>
              ))}
            </select>
            <input
              aria-label="Value options"
              name={`parameter-${index}-valueoptions`}
              placeholder="options (a,b,c)"
              disabled={parameter.type === 'BOOLEAN' || parameter.type === 'DATE'}
              value={parameter.valueoptions}
              onChange={(event) => update(index, { valueoptions: event.target.value })}
            />
            <label className="inline">
              <input type="checkbox" name={`parameter-${index}-required`} checked={parameter.required} onChange={(event) => update(index, { required: event.target.checked })} /> required
            </label>
            <button type="button" className="small danger" aria-label="Remove parameter" onClick={() => setParameters((current) => current.filter((_, at) => at !== index))}>
              ×
            </button>
          </div>
        ))}
        <button type="button" className="small secondary" data-testid="add-parameter" onClick={() => setParameters((current) => [...current, { name: '', type: 'STRING', validationformat: 'NONE', valueoptions: '', required: false }])}>
          Add parameter
        </button>
      </fieldset>
    </FormDialog>
  );
}
