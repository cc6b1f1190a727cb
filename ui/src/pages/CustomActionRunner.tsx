// Runs a custom action on an instance: the form is generated from the action's parameter definitions, the
// result is a table when the extension's output says `printmessage` (e.g. snapshot lists), a message otherwise.
import { useState } from 'react';
import { interpretResult, type ActionOutcome } from '../api/action-result.ts';
import { mapParam } from '../api/params.ts';
import { useConsole } from '../app/context.ts';
import { useLoad } from '../app/hooks.ts';
import { DataTable, display } from '../components/DataTable.tsx';
import type { FieldSpec, FormValues } from '../components/fields.ts';
import { Form } from '../components/Form.tsx';
import { Modal } from '../components/Modal.tsx';
import type { CustomActionRow, ParameterDefinition } from './CustomActionDialog.tsx';

export function parameterField(parameter: ParameterDefinition): FieldSpec {
  const base = { name: parameter.name, label: parameter.name, required: parameter.required === true, param: parameter.name };
  if (parameter.valueoptions && parameter.valueoptions.length > 0) return { ...base, kind: 'select', options: parameter.valueoptions.map((value) => ({ value, label: value })) };
  switch (parameter.type) {
    case 'BOOLEAN':
      return { ...base, kind: 'checkbox' };
    case 'DATE':
      return { ...base, kind: 'datetime' };
    case 'NUMBER':
      return { ...base, kind: 'number', step: parameter.validationformat === 'DECIMAL' ? '0.01' : '1' };
    default:
      return { ...base, kind: parameter.validationformat === 'PASSWORD' ? 'password' : 'text', placeholder: parameter.validationformat && parameter.validationformat !== 'NONE' ? parameter.validationformat.toLowerCase() : undefined };
  }
}

/** `2026-11-26T03:00` (datetime-local, the browser's zone) → `2026-11-26T02:00:00+0000`, CloudStack's date form. */
function cloudStackDate(local: string): string {
  const date = new Date(local);
  return `${date.toISOString().slice(0, 19)}+0000`;
}

function parameterValues(parameters: readonly ParameterDefinition[], values: FormValues): Record<string, string> {
  const result: Record<string, string> = {};
  for (const parameter of parameters) {
    const value = values[parameter.name];
    if (value === undefined || value === '') continue;
    if (typeof value === 'boolean') result[parameter.name] = String(value);
    else result[parameter.name] = parameter.type === 'DATE' ? cloudStackDate(value) : value;
  }
  return result;
}

export function CustomActionRunner({ instanceId, instanceName }: { instanceId: string; instanceName: string }) {
  const { session } = useConsole();
  const actions = useLoad(() => session.list<CustomActionRow>('listCustomActions', 'extensioncustomaction', { resourcetype: 'VirtualMachine', resourceid: instanceId, enabled: true }), [session, instanceId]);
  const [chosen, setChosen] = useState<CustomActionRow>();
  const [outcome, setOutcome] = useState<ActionOutcome>();
  const items = actions.data?.items ?? [];

  return (
    <div className="custom-actions" data-testid="custom-action-runner">
      {actions.error && <p className="form-error">{actions.error}</p>}
      {items.length === 0 && actions.data && <p className="muted">No custom actions are available for this instance.</p>}
      <div className="buttons">
        {items.map((action) => (
          <button
            key={action.id}
            type="button"
            className="secondary"
            data-custom-action={action.name}
            title={action.description}
            onClick={() => {
              setOutcome(undefined);
              setChosen(action);
            }}
          >
            {action.name}
          </button>
        ))}
      </div>
      {chosen && (
        <Modal title={`Run ${chosen.name} on ${instanceName}`} onClose={() => setChosen(undefined)} testId="run-action-dialog">
          {chosen.description && <p className="muted">{chosen.description}</p>}
          <Form
            submitLabel="Run"
            onCancel={() => setChosen(undefined)}
            fields={(chosen.parameters ?? []).map(parameterField)}
            onSubmit={async (values) => {
              const result = await session.callAsync('runCustomAction', {
                customactionid: chosen.id,
                resourceid: instanceId,
                resourcetype: 'VirtualMachine',
                ...mapParam('parameters', parameterValues(chosen.parameters ?? [], values)),
              });
              setOutcome(interpretResult(result));
              setChosen(undefined);
            }}
          />
        </Modal>
      )}
      {outcome && <ActionOutcomeView outcome={outcome} />}
    </div>
  );
}

function ActionOutcomeView({ outcome }: { outcome: ActionOutcome }) {
  const columns = outcome.table?.[0] ? Object.keys(outcome.table[0]).map((key) => ({ key, label: key, render: (row: Record<string, unknown>) => display(row[key]) })) : [];
  return (
    <div className={`outcome ${outcome.success ? 'outcome-success' : 'outcome-failure'}`} data-testid="action-outcome" role="status">
      <p>{outcome.message}</p>
      {outcome.table && <DataTable testId="action-result-table" rows={outcome.table} rowKey="__none" columns={columns} empty="The action returned no rows." />}
    </div>
  );
}
