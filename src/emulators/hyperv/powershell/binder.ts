/**
 * Parameter binding like PowerShell's: named parameters (with unambiguous prefixes and aliases, `-Name:value`),
 * then positional arguments in the order of their positions, then parameter-set resolution and mandatory
 * checks. Failures are statement-terminating ParameterBindingExceptions with PowerShell's messages and ids.
 */
import type { BoundParameters, CmdletDefinition, ErrorActionName, ParameterDefinition } from './cmdlet-types.ts';
import { PowerShellRuntimeError, parameterBindingError } from './errors.ts';
import { toInteger, toNumber } from './operations.ts';
import { PsEnum, isTruthy, toPsString } from './values.ts';
import type { PsValue } from './values.ts';

/** An argument after evaluation: parameter names are kept apart from values. */
export type EvaluatedArgument = { kind: 'parameter'; name: string; text: string; value?: PsValue; hasValue: boolean } | { kind: 'positional'; value: PsValue };

const COMMON_PARAMETERS: readonly ParameterDefinition[] = [
  { name: 'ErrorAction', type: 'enum', aliases: ['ea'], values: ['SilentlyContinue', 'Stop', 'Continue', 'Inquire', 'Ignore', 'Suspend'], dotNetType: 'System.Management.Automation.ActionPreference' },
  { name: 'WarningAction', type: 'enum', aliases: ['wa'], values: ['SilentlyContinue', 'Stop', 'Continue', 'Inquire', 'Ignore', 'Suspend'], dotNetType: 'System.Management.Automation.ActionPreference' },
  { name: 'InformationAction', type: 'enum', aliases: ['infa'], values: ['SilentlyContinue', 'Stop', 'Continue', 'Inquire', 'Ignore', 'Suspend'], dotNetType: 'System.Management.Automation.ActionPreference' },
  { name: 'Verbose', type: 'switch', aliases: ['vb'] },
  { name: 'Debug', type: 'switch', aliases: ['db'] },
  { name: 'ErrorVariable', type: 'string', aliases: ['ev'] },
  { name: 'WarningVariable', type: 'string', aliases: ['wv'] },
  { name: 'OutVariable', type: 'string', aliases: ['ov'] },
  { name: 'OutBuffer', type: 'int', aliases: ['ob'] },
  { name: 'PipelineVariable', type: 'string', aliases: ['pv'] },
];

const SHOULD_PROCESS_PARAMETERS: readonly ParameterDefinition[] = [
  { name: 'WhatIf', type: 'switch', aliases: ['wi'] },
  { name: 'Confirm', type: 'switch', aliases: ['cf'] },
];

const ACTION_PREFERENCE_NUMBERS: Record<number, ErrorActionName> = { 0: 'SilentlyContinue', 1: 'Stop', 2: 'Continue', 3: 'Inquire', 4: 'Ignore' };

export function parseActionPreference(value: PsValue, where: string): ErrorActionName {
  if (typeof value === 'number' && ACTION_PREFERENCE_NUMBERS[value]) return ACTION_PREFERENCE_NUMBERS[value]!;
  const text = toPsString(value).trim().toLowerCase();
  const match = ['SilentlyContinue', 'Stop', 'Continue', 'Inquire', 'Ignore'].find((name) => name.toLowerCase() === text);
  if (!match) {
    throw new PowerShellRuntimeError(
      {
        message: `Cannot convert value "${toPsString(value)}" to type "System.Management.Automation.ActionPreference". Error: "Unable to match the identifier name ${toPsString(value)} to a valid enumerator name. Specify one of the following enumerator names and try again:\nSilentlyContinue, Stop, Continue, Inquire, Ignore, Suspend"`,
        fullyQualifiedErrorId: where,
        category: 'InvalidArgument',
        exceptionType: 'System.Management.Automation.ParameterBindingException',
      },
      'statement',
    );
  }
  return match as ErrorActionName;
}

class Bound implements BoundParameters {
  constructor(
    readonly setName: string,
    private readonly values: Map<string, PsValue>,
  ) {}
  has(name: string): boolean {
    return this.values.has(name.toLowerCase());
  }
  get(name: string): PsValue | undefined {
    return this.values.get(name.toLowerCase());
  }
  string(name: string): string | undefined {
    const value = this.get(name);
    return value === undefined || value === null ? undefined : toPsString(value);
  }
  strings(name: string): string[] | undefined {
    const value = this.get(name);
    if (value === undefined || value === null) return undefined;
    return (Array.isArray(value) ? value : [value]).map((item) => toPsString(item));
  }
  number(name: string): number | undefined {
    const value = this.get(name);
    return value === undefined || value === null ? undefined : toNumber(value);
  }
  switch(name: string): boolean {
    const value = this.get(name);
    return value !== undefined && isTruthy(value);
  }
}

function allParameters(cmdlet: CmdletDefinition): ParameterDefinition[] {
  return [...cmdlet.parameters, ...COMMON_PARAMETERS, ...(cmdlet.shouldProcess ? SHOULD_PROCESS_PARAMETERS : [])];
}

function resolveName(cmdlet: CmdletDefinition, name: string): ParameterDefinition {
  const lower = name.toLowerCase();
  const parameters = allParameters(cmdlet);
  const exact = parameters.find((parameter) => parameter.name.toLowerCase() === lower || parameter.aliases?.some((alias) => alias.toLowerCase() === lower));
  if (exact) return exact;
  const candidates = parameters.filter((parameter) => parameter.name.toLowerCase().startsWith(lower));
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length > 1) {
    throw new PowerShellRuntimeError(
      parameterBindingError(cmdlet.name, 'AmbiguousParameter', `Parameter cannot be processed because the parameter name '${name}' is ambiguous. Possible matches include: ${candidates.map((candidate) => `-${candidate.name}`).join(' ')}.`),
      'statement',
    );
  }
  throw new PowerShellRuntimeError(parameterBindingError(cmdlet.name, 'NamedParameterNotFound', `A parameter cannot be found that matches parameter name '${name}'.`), 'statement');
}

function dotNetTypeOf(parameter: ParameterDefinition): string {
  if (parameter.dotNetType) return parameter.dotNetType;
  switch (parameter.type) {
    case 'int':
      return 'System.Int32';
    case 'long':
      return 'System.Int64';
    case 'double':
      return 'System.Double';
    case 'strings':
      return 'System.String[]';
    case 'bool':
      return 'System.Boolean';
    case 'switch':
      return 'System.Management.Automation.SwitchParameter';
    case 'scriptblock':
      return 'System.Management.Automation.ScriptBlock';
    default:
      return 'System.String';
  }
}

function convertArgument(cmdlet: CmdletDefinition, parameter: ParameterDefinition, value: PsValue): PsValue {
  const fail = (detail: string): never => {
    const shown = Array.isArray(value) ? 'System.Object[]' : toPsString(value);
    throw new PowerShellRuntimeError(
      parameterBindingError(cmdlet.name, 'CannotConvertArgumentNoMessage', `Cannot bind parameter '${parameter.name}'. Cannot convert value "${shown}" to type "${dotNetTypeOf(parameter)}". Error: "${detail}"`),
      'statement',
    );
  };
  switch (parameter.type) {
    case 'string':
      if (Array.isArray(value)) {
        if (value.length === 1) return toPsString(value[0] ?? null);
        return fail('Specified method is not supported.');
      }
      return value === null ? null : toPsString(value);
    case 'strings':
      return value === null ? null : (Array.isArray(value) ? value : [value]).map((item) => toPsString(item));
    case 'int':
    case 'long':
      try {
        return toInteger(Array.isArray(value) && value.length === 1 ? value[0]! : value, parameter.type === 'int' ? 'System.Int32' : 'System.Int64');
      } catch {
        return fail(Array.isArray(value) ? 'Specified method is not supported.' : 'Input string was not in a correct format.');
      }
    case 'double':
      try {
        return toNumber(value);
      } catch {
        return fail('Input string was not in a correct format.');
      }
    case 'switch':
    case 'bool':
      return isTruthy(value);
    case 'enum': {
      if (value instanceof PsEnum) return value.name;
      const text = toPsString(value).trim();
      const match = parameter.values?.find((candidate) => candidate.toLowerCase() === text.toLowerCase());
      if (!match) {
        if (parameter.name === 'ErrorAction' || parameter.name === 'WarningAction' || parameter.name === 'InformationAction') {
          return fail(`Unable to match the identifier name ${text} to a valid enumerator name. Specify one of the following enumerator names and try again:\n${(parameter.values ?? []).join(', ')}`);
        }
        throw new PowerShellRuntimeError(
          parameterBindingError(cmdlet.name, 'ParameterArgumentValidationError', `Cannot validate argument on parameter '${parameter.name}'. The argument "${text}" does not belong to the set "${(parameter.values ?? []).join(',')}" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again.`),
          'statement',
        );
      }
      return match;
    }
    case 'scriptblock':
      return value;
    default:
      return value;
  }
}

export interface BindingResult {
  params: BoundParameters;
  errorAction?: ErrorActionName;
  confirm?: boolean;
  whatIf: boolean;
}

/** Binds evaluated arguments to the cmdlet's parameters; `pipelineBound` marks pipeline input as present. */
export function bindParameters(cmdlet: CmdletDefinition, args: EvaluatedArgument[], pipelineBound: boolean): BindingResult {
  const bound = new Map<string, PsValue>();
  const boundDefinitions = new Map<string, ParameterDefinition>();
  const positionals: PsValue[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.kind === 'positional') {
      positionals.push(arg.value);
      continue;
    }
    const parameter = resolveName(cmdlet, arg.name);
    const key = parameter.name.toLowerCase();
    if (bound.has(key)) {
      throw new PowerShellRuntimeError(
        parameterBindingError(cmdlet.name, 'ParameterAlreadyBound', `Cannot bind parameter because parameter '${parameter.name}' is specified more than once. To provide multiple values to parameters that can accept multiple values, use the array syntax. For example, "-parameter value1,value2,value3".`),
        'statement',
      );
    }
    let value: PsValue;
    if (arg.hasValue) value = arg.value ?? null;
    else if (parameter.type === 'switch') value = true;
    else {
      const next = args[i + 1];
      if (!next || next.kind !== 'positional') {
        throw new PowerShellRuntimeError(
          parameterBindingError(cmdlet.name, 'MissingArgument', `Missing an argument for parameter '${parameter.name}'. Specify a parameter of type '${dotNetTypeOf(parameter)}' and try again.`),
          'statement',
        );
      }
      value = next.value;
      i++;
    }
    bound.set(key, convertArgument(cmdlet, parameter, value));
    boundDefinitions.set(key, parameter);
  }

  const allSets = [...new Set(cmdlet.parameters.flatMap((parameter) => parameter.sets ?? []))];
  const setsOf = (parameter: ParameterDefinition) => parameter.sets ?? allSets;
  let candidates = allSets.length === 0 ? ['__AllParameterSets'] : [...allSets];
  const narrow = () => {
    for (const parameter of boundDefinitions.values()) {
      if (parameter.sets) candidates = candidates.filter((set) => parameter.sets!.includes(set));
    }
  };
  narrow();

  // Positional binding: parameters with a position that are still unbound and fit a remaining set.
  const positional = cmdlet.parameters
    .filter((parameter) => parameter.position !== undefined)
    .sort((a, b) => a.position! - b.position!);
  for (const value of positionals) {
    const parameter = positional.find(
      (candidate) => !bound.has(candidate.name.toLowerCase()) && (allSets.length === 0 || setsOf(candidate).some((set) => candidates.includes(set))),
    );
    const collector = cmdlet.parameters.find((candidate) => candidate.remaining);
    if (!parameter && collector && bound.has(collector.name.toLowerCase())) {
      const key = collector.name.toLowerCase();
      const existing = bound.get(key) ?? null;
      bound.set(key, [...(Array.isArray(existing) ? existing : [existing]), value]);
      continue;
    }
    if (!parameter) {
      throw new PowerShellRuntimeError(parameterBindingError(cmdlet.name, 'PositionalParameterNotFound', `A positional parameter cannot be found that accepts argument '${Array.isArray(value) ? 'System.Object[]' : toPsString(value)}'.`), 'statement');
    }
    bound.set(parameter.name.toLowerCase(), convertArgument(cmdlet, parameter, value));
    boundDefinitions.set(parameter.name.toLowerCase(), parameter);
    narrow();
  }

  if (pipelineBound) {
    const pipelineParameters = cmdlet.parameters.filter((parameter) => parameter.fromPipeline && !bound.has(parameter.name.toLowerCase()));
    const fitting = pipelineParameters.filter((parameter) => setsOf(parameter).some((set) => candidates.includes(set)));
    if (fitting.length > 0 && allSets.length > 0) {
      const pipelineSets = fitting.flatMap((parameter) => setsOf(parameter));
      const narrowed = candidates.filter((set) => pipelineSets.includes(set));
      if (narrowed.length > 0) candidates = narrowed;
    }
  }

  let setName = candidates[0] ?? '';
  if (allSets.length > 0) {
    if (candidates.length === 0) {
      throw new PowerShellRuntimeError(parameterBindingError(cmdlet.name, 'AmbiguousParameterSet', 'Parameter set cannot be resolved using the specified named parameters.'), 'statement');
    }
    if (candidates.length > 1) {
      const preferred = cmdlet.defaultSet && candidates.includes(cmdlet.defaultSet) ? cmdlet.defaultSet : undefined;
      // Prefer a set whose mandatory parameters are all present.
      const satisfied = candidates.filter((set) => cmdlet.parameters.every((parameter) => !isMandatoryIn(parameter, set, allSets) || bound.has(parameter.name.toLowerCase()) || (pipelineBound && parameter.fromPipeline)));
      if (preferred && satisfied.includes(preferred)) setName = preferred;
      else if (satisfied.length === 1) setName = satisfied[0]!;
      else if (preferred) setName = preferred;
      else {
        throw new PowerShellRuntimeError(parameterBindingError(cmdlet.name, 'AmbiguousParameterSet', 'Parameter set cannot be resolved using the specified named parameters.'), 'statement');
      }
    }
  }
  const missing = cmdlet.parameters.filter(
    (parameter) => isMandatoryIn(parameter, setName, allSets) && !bound.has(parameter.name.toLowerCase()) && !(pipelineBound && parameter.fromPipeline),
  );
  if (missing.length > 0) {
    throw new PowerShellRuntimeError(
      parameterBindingError(cmdlet.name, 'MissingMandatoryParameter', `Cannot process command because of one or more missing mandatory parameters: ${missing.map((parameter) => parameter.name).join(' ')}.`),
      'statement',
    );
  }
  const errorAction = bound.get('erroraction');
  const confirm = bound.get('confirm');
  return {
    params: new Bound(setName, bound),
    ...(errorAction !== undefined ? { errorAction: errorAction as ErrorActionName } : {}),
    ...(confirm !== undefined ? { confirm: isTruthy(confirm) } : {}),
    whatIf: isTruthy(bound.get('whatif') ?? false),
  };
}

function isMandatoryIn(parameter: ParameterDefinition, set: string, allSets: string[]): boolean {
  if (!parameter.mandatory) return false;
  const sets = parameter.sets ?? allSets;
  if (allSets.length > 0 && !sets.includes(set)) return false;
  if (parameter.mandatory === true) return true;
  return parameter.mandatory.includes(set);
}
