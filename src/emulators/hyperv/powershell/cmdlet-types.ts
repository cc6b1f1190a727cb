/** The contract between the evaluator and the cmdlet implementations. */
import type { HyperVHost } from '../host-state.ts';
import type { ErrorRecordData, PsScriptBlock, PsValue } from './values.ts';

export type ParameterType = 'string' | 'strings' | 'int' | 'long' | 'double' | 'switch' | 'bool' | 'any' | 'scriptblock' | 'enum';

export interface ParameterDefinition {
  readonly name: string;
  readonly type: ParameterType;
  readonly aliases?: readonly string[];
  /** Position for positional binding, within the parameter's sets. */
  readonly position?: number;
  /** Mandatory in every set it belongs to (true) or only in the listed sets. */
  readonly mandatory?: boolean | readonly string[];
  /** Parameter sets it belongs to; absent means every set. */
  readonly sets?: readonly string[];
  /** Allowed values for `enum` parameters (ValidateSet / .NET enum names), matched case-insensitively. */
  readonly values?: readonly string[];
  /** .NET type shown in conversion errors. */
  readonly dotNetType?: string;
  /** Bound from pipeline input (ValueFromPipeline). */
  readonly fromPipeline?: boolean;
  /** Collects positional arguments no other parameter takes (ValueFromRemainingArguments). */
  readonly remaining?: boolean;
}

export interface CmdletDefinition {
  readonly name: string;
  readonly parameters: readonly ParameterDefinition[];
  readonly defaultSet?: string;
  /** Supports -WhatIf/-Confirm; `highImpact` cmdlets ask for confirmation unless -Force or -Confirm:$false. */
  readonly shouldProcess?: 'low' | 'high';
  invoke(call: CmdletCall): void;
}

export type ErrorActionName = 'Stop' | 'Continue' | 'SilentlyContinue' | 'Ignore' | 'Inquire';

export interface BoundParameters {
  readonly setName: string;
  has(name: string): boolean;
  get(name: string): PsValue | undefined;
  string(name: string): string | undefined;
  strings(name: string): string[] | undefined;
  number(name: string): number | undefined;
  switch(name: string): boolean;
}

export interface CmdletRuntime {
  invokeScriptBlock(block: PsScriptBlock, dollarUnderscore: PsValue, args?: PsValue[]): PsValue[];
  getVariable(name: string): PsValue | undefined;
  setVariable(name: string, value: PsValue): void;
  /** Text the way Out-Default/Out-String formats these objects. */
  formatObjects(items: PsValue[]): string;
  /** Appends text to the host output (Write-Host). */
  writeHost(text: string): void;
}

export interface CmdletCall {
  readonly name: string;
  readonly params: BoundParameters;
  /** Items received from the previous pipeline element. */
  readonly input: readonly PsValue[];
  readonly hasPipelineInput: boolean;
  readonly host: HyperVHost;
  readonly runtime: CmdletRuntime;
  write(value: PsValue): void;
  /** A non-terminating error; -ErrorAction / $ErrorActionPreference decide what happens. */
  writeError(record: Omit<ErrorRecordData, 'commandName'>): void;
  /** A statement-terminating error (ThrowTerminatingError). */
  terminate(record: Omit<ErrorRecordData, 'commandName'>): never;
}
