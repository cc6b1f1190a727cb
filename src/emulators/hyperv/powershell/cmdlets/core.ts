/** The Microsoft.PowerShell.Utility/Core cmdlets scripts use around the Hyper-V ones. */
import type { CmdletCall, CmdletDefinition } from '../cmdlet-types.ts';
import { convertToJson, formatForHost } from '../format.ts';
import { compare, getMember, hasWildcards, toNumber, wildcardToRegExp } from '../operations.ts';
import { PsDateTime, PsHashtable, PsObject, PsScriptBlock, collapse, isTruthy, toPsString, typeNameOf } from '../values.ts';
import type { PsValue } from '../values.ts';

/** Max -Depth of ConvertTo-Json in Windows PowerShell 5.1. */
const JSON_MAX_DEPTH = 100;

/** Items to process: pipeline input, or the -InputObject value when nothing was piped. */
function inputItems(call: CmdletCall, parameter = 'InputObject'): PsValue[] {
  if (call.hasPipelineInput) return [...call.input];
  const value = call.params.get(parameter);
  if (value === undefined) return [];
  return [value];
}

const writeOutput: CmdletDefinition = {
  name: 'Write-Output',
  parameters: [
    { name: 'InputObject', type: 'any', position: 0, fromPipeline: true, remaining: true, mandatory: true },
    { name: 'NoEnumerate', type: 'switch' },
  ],
  invoke(call) {
    const items = call.hasPipelineInput ? call.input : [call.params.get('InputObject') ?? null];
    for (const item of items) {
      if (Array.isArray(item) && !call.params.switch('NoEnumerate')) for (const element of item) call.write(element);
      else call.write(item);
    }
  },
};

const writeHost: CmdletDefinition = {
  name: 'Write-Host',
  parameters: [
    { name: 'Object', type: 'any', position: 0, fromPipeline: true, remaining: true },
    { name: 'NoNewline', type: 'switch' },
    { name: 'Separator', type: 'any' },
    { name: 'ForegroundColor', type: 'string' },
    { name: 'BackgroundColor', type: 'string' },
  ],
  invoke(call) {
    const items = inputItems(call, 'Object');
    const separator = toPsString(call.params.get('Separator') ?? ' ');
    const text = items.map((item) => (Array.isArray(item) ? item.map((element) => toPsString(element)).join(separator) : toPsString(item))).join(separator);
    call.runtime.writeHost(call.params.switch('NoNewline') ? text : `${text}\r\n`);
  },
};

const writeWarning: CmdletDefinition = {
  name: 'Write-Warning',
  parameters: [{ name: 'Message', type: 'string', position: 0, mandatory: true, fromPipeline: true }],
  invoke(call) {
    call.runtime.writeHost(`WARNING: ${call.params.string('Message') ?? ''}\r\n`);
  },
};

const quietStream = (name: string): CmdletDefinition => ({
  name,
  parameters: [{ name: 'Message', type: 'string', position: 0, fromPipeline: true }],
  invoke() {
    // Verbose/debug/information streams are not shown by powershell.exe unless their preference is changed.
  },
});

const writeError: CmdletDefinition = {
  name: 'Write-Error',
  parameters: [
    { name: 'Message', type: 'string', position: 0, fromPipeline: true },
    { name: 'Category', type: 'string' },
    { name: 'ErrorId', type: 'string' },
    { name: 'TargetObject', type: 'any' },
    { name: 'Exception', type: 'any' },
    { name: 'ErrorRecord', type: 'any' },
  ],
  invoke(call) {
    const record = call.params.get('ErrorRecord');
    if (record instanceof PsObject && record.native?.kind === 'error') {
      call.writeError(record.native.record);
      return;
    }
    const message = call.params.string('Message') ?? toPsString(getMember(call.params.get('Exception') ?? null, 'Message'));
    const target = call.params.get('TargetObject');
    call.writeError({
      message,
      fullyQualifiedErrorId: call.params.string('ErrorId') ?? 'Microsoft.PowerShell.Commands.WriteErrorException',
      category: call.params.string('Category') ?? 'NotSpecified',
      ...(target !== undefined && target !== null ? { targetObject: toPsString(target) } : {}),
      exceptionType: 'Microsoft.PowerShell.Commands.WriteErrorException',
    });
  },
};

const outNull: CmdletDefinition = {
  name: 'Out-Null',
  parameters: [{ name: 'InputObject', type: 'any', fromPipeline: true }],
  invoke() {
    // Discards its input.
  },
};

const outString: CmdletDefinition = {
  name: 'Out-String',
  parameters: [
    { name: 'InputObject', type: 'any', fromPipeline: true },
    { name: 'Stream', type: 'switch' },
    { name: 'Width', type: 'int' },
  ],
  invoke(call) {
    const items = inputItems(call).flatMap((item) => (Array.isArray(item) && !call.hasPipelineInput ? item : [item]));
    const text = formatForHost(items);
    if (call.params.switch('Stream')) for (const line of text.split('\r\n').slice(0, -1)) call.write(line);
    else call.write(text);
  },
};

const convertToJsonCmdlet: CmdletDefinition = {
  name: 'ConvertTo-Json',
  parameters: [
    { name: 'InputObject', type: 'any', position: 0, fromPipeline: true, mandatory: true },
    { name: 'Depth', type: 'int' },
    { name: 'Compress', type: 'switch' },
  ],
  invoke(call) {
    const depth = call.params.number('Depth') ?? 2;
    if (depth > JSON_MAX_DEPTH || depth < 1) {
      call.terminate({
        message: `Cannot validate argument on parameter 'Depth'. The ${depth} argument is ${depth < 1 ? 'less than the minimum allowed range of 1' : `greater than the maximum allowed range of ${JSON_MAX_DEPTH}`}. Supply an argument that is ${depth < 1 ? 'greater than or equal to 1' : `less than or equal to ${JSON_MAX_DEPTH}`} and then try the command again.`,
        fullyQualifiedErrorId: 'ParameterArgumentValidationError,Microsoft.PowerShell.Commands.ConvertToJsonCommand',
        category: 'InvalidData',
        exceptionType: 'System.Management.Automation.ParameterBindingValidationException',
      });
    }
    let value: PsValue;
    if (call.hasPipelineInput) {
      if (call.input.length === 0) return;
      value = call.input.length === 1 ? (call.input[0] ?? null) : [...call.input];
    } else value = call.params.get('InputObject') ?? null;
    call.write(convertToJson(value, { depth, compress: call.params.switch('Compress') }));
  },
};

function fromJson(value: unknown): PsValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(fromJson);
  return new PsObject(['System.Management.Automation.PSCustomObject'], Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, fromJson(item)] as const));
}

const convertFromJson: CmdletDefinition = {
  name: 'ConvertFrom-Json',
  parameters: [{ name: 'InputObject', type: 'string', position: 0, fromPipeline: true, mandatory: true }],
  invoke(call) {
    const text = inputItems(call).map((item) => toPsString(item)).join('\n');
    try {
      call.write(fromJson(JSON.parse(text)));
    } catch {
      call.terminate({ message: 'Invalid JSON primitive.', fullyQualifiedErrorId: 'System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand', category: 'NotSpecified', exceptionType: 'System.ArgumentException' });
    }
  },
};

/** Reads a calculated property hashtable (`@{Name=…; Expression=…}`, keys abbreviable like PowerShell). */
function calculatedProperty(call: CmdletCall, table: PsHashtable): { name: string; expression: PsValue } {
  let name: string | undefined;
  let expression: PsValue | undefined;
  for (const entry of table.entries.values()) {
    const key = entry.key.toLowerCase();
    if (key.length > 0 && ('name'.startsWith(key) || 'label'.startsWith(key))) name = toPsString(entry.value);
    else if (key.length > 0 && 'expression'.startsWith(key)) expression = entry.value;
    else {
      call.terminate({ message: `The ${entry.key} key is not valid.`, fullyQualifiedErrorId: 'IllegalKey,Microsoft.PowerShell.Commands.SelectObjectCommand', category: 'InvalidArgument', exceptionType: 'System.NotSupportedException' });
    }
  }
  if (expression === undefined) {
    call.terminate({ message: 'The Expression key is missing.', fullyQualifiedErrorId: 'MissingExpression,Microsoft.PowerShell.Commands.SelectObjectCommand', category: 'InvalidArgument', exceptionType: 'System.NotSupportedException' });
  }
  return { name: name ?? toPsString(expression), expression };
}

function propertyNames(value: PsValue): string[] {
  if (value instanceof PsObject) return value.names();
  if (value instanceof PsHashtable) return [...value.entries.values()].map((entry) => entry.key);
  return [];
}

const selectObject: CmdletDefinition = {
  name: 'Select-Object',
  parameters: [
    { name: 'Property', type: 'any', position: 0 },
    { name: 'ExpandProperty', type: 'string' },
    { name: 'ExcludeProperty', type: 'strings' },
    { name: 'First', type: 'int' },
    { name: 'Last', type: 'int' },
    { name: 'Skip', type: 'int' },
    { name: 'Unique', type: 'switch' },
    { name: 'InputObject', type: 'any', fromPipeline: true },
  ],
  invoke(call) {
    let items = call.hasPipelineInput ? [...call.input] : (() => {
      const value = call.params.get('InputObject');
      return value === undefined ? [] : [value];
    })();
    const skip = call.params.number('Skip') ?? 0;
    items = items.slice(skip);
    const first = call.params.number('First');
    const last = call.params.number('Last');
    if (first !== undefined) items = items.slice(0, Math.max(0, first));
    if (last !== undefined) items = last <= 0 ? [] : items.slice(-last);
    const propertySpec = call.params.get('Property');
    const specs = propertySpec === undefined || propertySpec === null ? [] : Array.isArray(propertySpec) ? propertySpec : [propertySpec];
    const expand = call.params.string('ExpandProperty');
    const exclude = (call.params.strings('ExcludeProperty') ?? []).map((pattern) => wildcardToRegExp(pattern));
    const seen: PsValue[] = [];
    for (const item of items) {
      let result: PsValue = item;
      if (specs.length > 0) {
        const selected = new PsObject([`Selected.${typeNameOf(item)}`, 'System.Management.Automation.PSCustomObject']);
        for (const spec of specs) {
          if (spec instanceof PsHashtable) {
            const { name, expression } = calculatedProperty(call, spec);
            const value = expression instanceof PsScriptBlock ? collapse(call.runtime.invokeScriptBlock(expression, item)) : getMember(item, toPsString(expression));
            selected.set(name, value);
            continue;
          }
          const pattern = toPsString(spec);
          if (hasWildcards(pattern)) {
            const regex = wildcardToRegExp(pattern);
            for (const name of propertyNames(item)) if (regex.test(name) && !exclude.some((excluded) => excluded.test(name))) selected.set(name, getMember(item, name));
          } else if (!exclude.some((excluded) => excluded.test(pattern))) {
            const actual = propertyNames(item).find((name) => name.toLowerCase() === pattern.toLowerCase()) ?? pattern;
            selected.set(actual, getMember(item, pattern));
          }
        }
        result = selected;
      }
      if (expand !== undefined) {
        const names = propertyNames(result);
        if (!names.some((name) => name.toLowerCase() === expand.toLowerCase())) {
          call.writeError({ message: `Property "${expand}" cannot be found.`, fullyQualifiedErrorId: 'ExpandPropertyNotFound,Microsoft.PowerShell.Commands.SelectObjectCommand', category: 'InvalidArgument', targetObject: toPsString(item), exceptionType: 'System.Management.Automation.PSArgumentException' });
          continue;
        }
        const value = getMember(result, expand);
        for (const element of Array.isArray(value) ? value : [value]) call.write(element);
        continue;
      }
      if (call.params.switch('Unique')) {
        if (seen.some((other) => compare('-eq', other, result, {}) === true && toPsString(other) === toPsString(result))) continue;
        seen.push(result);
      }
      call.write(result);
    }
  },
};

const COMPARISON_SWITCHES = ['EQ', 'NE', 'GT', 'GE', 'LT', 'LE', 'Like', 'NotLike', 'Match', 'NotMatch', 'Contains', 'NotContains', 'In', 'NotIn', 'CEQ', 'CNE', 'CLike', 'CMatch'];

const whereObject: CmdletDefinition = {
  name: 'Where-Object',
  defaultSet: 'ScriptBlockSet',
  parameters: [
    { name: 'FilterScript', type: 'scriptblock', position: 0, mandatory: true, sets: ['ScriptBlockSet'] },
    { name: 'Property', type: 'string', position: 0, mandatory: true, sets: ['Simple'] },
    { name: 'Value', type: 'any', position: 1, sets: ['Simple'] },
    { name: 'InputObject', type: 'any', fromPipeline: true },
    ...COMPARISON_SWITCHES.map((name) => ({ name, type: 'switch' as const, sets: ['Simple'] })),
  ],
  invoke(call) {
    const items = inputItems(call);
    const filter = call.params.get('FilterScript');
    for (const item of items) {
      let keep: boolean;
      if (filter instanceof PsScriptBlock) keep = isTruthy(collapse(call.runtime.invokeScriptBlock(filter, item)));
      else if (filter !== undefined) keep = isTruthy(filter);
      else {
        const property = getMember(item, call.params.string('Property') ?? '');
        const operator = COMPARISON_SWITCHES.find((name) => call.params.switch(name));
        keep = operator ? isTruthy(compare(`-${operator.toLowerCase()}`, property, call.params.get('Value') ?? null, {})) : isTruthy(property);
      }
      if (keep) call.write(item);
    }
  },
};

const forEachObject: CmdletDefinition = {
  name: 'ForEach-Object',
  parameters: [
    { name: 'Process', type: 'any', position: 0, mandatory: true },
    { name: 'Begin', type: 'scriptblock' },
    { name: 'End', type: 'scriptblock' },
    { name: 'ArgumentList', type: 'any', position: 1, remaining: true },
    { name: 'InputObject', type: 'any', fromPipeline: true },
  ],
  invoke(call) {
    const begin = call.params.get('Begin');
    const end = call.params.get('End');
    const process = call.params.get('Process') ?? null;
    if (begin instanceof PsScriptBlock) for (const value of call.runtime.invokeScriptBlock(begin, null)) call.write(value);
    for (const item of inputItems(call)) {
      if (process instanceof PsScriptBlock) {
        for (const value of call.runtime.invokeScriptBlock(process, item)) call.write(value);
      } else if (Array.isArray(process) && process.every((block) => block instanceof PsScriptBlock)) {
        for (const block of process) for (const value of call.runtime.invokeScriptBlock(block as PsScriptBlock, item)) call.write(value);
      } else {
        const value = getMember(item, toPsString(process));
        for (const element of Array.isArray(value) ? value : [value]) call.write(element);
      }
    }
    if (end instanceof PsScriptBlock) for (const value of call.runtime.invokeScriptBlock(end, null)) call.write(value);
  },
};

const measureObject: CmdletDefinition = {
  name: 'Measure-Object',
  parameters: [
    { name: 'Property', type: 'strings', position: 0 },
    { name: 'Sum', type: 'switch' },
    { name: 'Average', type: 'switch' },
    { name: 'Maximum', type: 'switch' },
    { name: 'Minimum', type: 'switch' },
    { name: 'InputObject', type: 'any', fromPipeline: true },
  ],
  invoke(call) {
    const items = inputItems(call).filter((item) => item !== null);
    const property = call.params.strings('Property')?.[0];
    const values = items.map((item) => (property ? getMember(item, property) : item));
    const numbers = () => values.map((value) => toNumber(value));
    const sum = call.params.switch('Sum') || call.params.switch('Average') ? numbers().reduce((a, b) => a + b, 0) : null;
    call.write(
      new PsObject(['Microsoft.PowerShell.Commands.GenericMeasureInfo'], [
        ['Count', items.length],
        ['Average', call.params.switch('Average') && items.length > 0 ? (sum ?? 0) / items.length : null],
        ['Sum', call.params.switch('Sum') ? sum : null],
        ['Maximum', call.params.switch('Maximum') && items.length > 0 ? Math.max(...numbers()) : null],
        ['Minimum', call.params.switch('Minimum') && items.length > 0 ? Math.min(...numbers()) : null],
        ['Property', property ?? null],
      ]),
    );
  },
};

const sortObject: CmdletDefinition = {
  name: 'Sort-Object',
  parameters: [
    { name: 'Property', type: 'any', position: 0 },
    { name: 'Descending', type: 'switch' },
    { name: 'Unique', type: 'switch' },
    { name: 'InputObject', type: 'any', fromPipeline: true },
  ],
  invoke(call) {
    const property = call.params.get('Property');
    const key = (item: PsValue): PsValue => (property === undefined || property === null ? item : property instanceof PsScriptBlock ? collapse(call.runtime.invokeScriptBlock(property, item)) : getMember(item, toPsString(property)));
    const sorted = inputItems(call)
      .map((item) => ({ item, key: key(item) }))
      .sort((a, b) => (compare('-lt', a.key, b.key, {}) === true ? -1 : compare('-gt', a.key, b.key, {}) === true ? 1 : 0));
    if (call.params.switch('Descending')) sorted.reverse();
    for (const { item } of sorted) call.write(item);
  },
};

const getDate: CmdletDefinition = {
  name: 'Get-Date',
  parameters: [
    { name: 'Format', type: 'string' },
    { name: 'Date', type: 'any', position: 0 },
  ],
  invoke(call) {
    const now = new PsDateTime(new Date());
    const format = call.params.string('Format');
    call.write(format ? now.format(format) : now);
  },
};

const startSleep: CmdletDefinition = {
  name: 'Start-Sleep',
  parameters: [
    { name: 'Seconds', type: 'double', position: 0, sets: ['Seconds'] },
    { name: 'Milliseconds', type: 'int', sets: ['Milliseconds'] },
  ],
  defaultSet: 'Seconds',
  invoke() {
    // The emulated host has no background work to wait for; sleeping would only slow tests down.
  },
};

export const CORE_CMDLETS: readonly CmdletDefinition[] = [
  writeOutput, writeHost, writeWarning, writeError, quietStream('Write-Verbose'), quietStream('Write-Debug'), quietStream('Write-Information'),
  outNull, outString, convertToJsonCmdlet, convertFromJson, selectObject, whereObject, forEachObject, measureObject, sortObject, getDate, startSleep,
];

/** Aliases defined by default in Windows PowerShell that scripts commonly use. */
export const DEFAULT_ALIASES: Readonly<Record<string, string>> = {
  echo: 'Write-Output', write: 'Write-Output', select: 'Select-Object', where: 'Where-Object', '?': 'Where-Object', foreach: 'ForEach-Object', '%': 'ForEach-Object',
  measure: 'Measure-Object', sort: 'Sort-Object', copy: 'Copy-Item', cp: 'Copy-Item', cpi: 'Copy-Item', del: 'Remove-Item', rm: 'Remove-Item', ri: 'Remove-Item', erase: 'Remove-Item', rd: 'Remove-Item', sleep: 'Start-Sleep',
};
