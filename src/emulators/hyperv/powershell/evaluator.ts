/**
 * Walks the syntax tree. Statement output goes to the caller (a script block, a subexpression) or, at the
 * top level, through Out-Default to stdout. Errors follow PowerShell's three kinds (see errors.ts); `$?`
 * tracks whether the last pipeline succeeded, which is what powershell.exe turns into its exit code.
 */
import type { HyperVHost } from '../host-state.ts';
import { addFile, pathKey, recordCommand } from '../host-state.ts';
import type { CommandNode, Expression, FunctionParameter, PipelineNode, Statement, StatementList } from './ast.ts';
import { bindParameters, parseActionPreference } from './binder.ts';
import type { EvaluatedArgument } from './binder.ts';
import type { CmdletCall, CmdletDefinition, CmdletRuntime, ErrorActionName } from './cmdlet-types.ts';
import { ExitSignal, LoopSignal, PowerShellRuntimeError, ReturnSignal, commandNotFound } from './errors.ts';
import { formatForHost } from './format.ts';
import { arithmetic, castValue, compare, formatOperator, getIndex, getMember, invokeMethod, invokeStatic, range, runtimeError, setIndex, setMember, toNumber } from './operations.ts';
import type { MatchState } from './operations.ts';
import { PsHashtable, PsObject, PsScriptBlock, PsTypeName, collapse, enumerate, isTruthy, toPsString } from './values.ts';
import type { ErrorRecordData, PsValue } from './values.ts';

/** Evaluation steps a script may take: generous for real scripts, finite for hostile ones. */
export const MAX_EVALUATION_STEPS = 2_000_000;
export const MAX_CALL_DEPTH = 64;
export const MAX_OUTPUT_CHARS = 20_000_000;

export interface EmittedError extends ErrorRecordData {
  /** Source text of the command that failed (for PowerShell's "At line:… + …" rendering). */
  commandText?: string;
}

export function errorRecordObject(record: ErrorRecordData): PsObject {
  const exception = new PsObject([record.exceptionType, 'System.Exception'], [['Message', record.message]], undefined, record.message);
  const categoryText = `${record.category}: (${record.targetObject ?? ''}:String) [${record.commandName ?? ''}], ${record.exceptionType.split('.').pop()}`;
  const categoryInfo = new PsObject(['System.Management.Automation.ErrorCategoryInfo'], [['Category', record.category], ['Activity', record.commandName ?? ''], ['Reason', record.exceptionType.split('.').pop() ?? ''], ['TargetName', record.targetObject ?? '']], undefined, categoryText);
  return new PsObject(
    ['System.Management.Automation.ErrorRecord'],
    [['Exception', exception], ['TargetObject', record.targetObject ?? null], ['CategoryInfo', categoryInfo], ['FullyQualifiedErrorId', record.fullyQualifiedErrorId]],
    { kind: 'error', record },
    record.message,
  );
}

const AUTOMATIC_READONLY = new Set(['true', 'false', 'null']);

export class Interpreter implements CmdletRuntime {
  readonly errors: EmittedError[] = [];
  readonly commandsRun: string[] = [];
  private stdout = '';
  /** Variable scopes, global first; a function call pushes a scope of its own. */
  private readonly scopes: Array<Map<string, PsValue>> = [new Map()];
  private readonly functions = new Map<string, Extract<Statement, { kind: 'function' }>>();

  private get variables(): Map<string, PsValue> {
    return this.scopes[this.scopes.length - 1]!;
  }
  private readonly dollarUnderscore: PsValue[] = [];
  private steps = 0;
  private callDepth = 0;
  private tryDepth = 0;
  lastSucceeded = true;
  private readonly errorList: PsValue[] = [];

  constructor(
    readonly host: HyperVHost,
    private readonly cmdlets: ReadonlyMap<string, CmdletDefinition>,
  ) {
    this.variables.set('erroractionpreference', 'Continue');
    this.variables.set('error', this.errorList);
    const version = new PsHashtable();
    version.set('PSVersion', '5.1.17763.6414');
    version.set('PSEdition', 'Desktop');
    this.variables.set('psversiontable', version);
    this.variables.set('pid', 4242);
    this.variables.set('home', 'C:\\Users\\Administrator');
  }

  get output(): string {
    return this.stdout;
  }

  private tick(): void {
    if (++this.steps > MAX_EVALUATION_STEPS) {
      throw new PowerShellRuntimeError({ message: 'The script exceeded the execution budget of this PowerShell host.', fullyQualifiedErrorId: 'ExecutionBudgetExceeded', category: 'LimitsExceeded', exceptionType: 'System.Management.Automation.RuntimeException' }, 'script');
    }
  }

  writeHost(text: string): void {
    this.appendStdout(text);
  }

  private appendStdout(text: string): void {
    if (this.stdout.length + text.length > MAX_OUTPUT_CHARS) {
      throw new PowerShellRuntimeError({ message: 'The output exceeded the limit of this PowerShell host.', fullyQualifiedErrorId: 'OutputLimitExceeded', category: 'LimitsExceeded', exceptionType: 'System.Management.Automation.RuntimeException' }, 'script');
    }
    this.stdout += text;
  }

  formatObjects(items: PsValue[]): string {
    return formatForHost(items);
  }

  getVariable(name: string): PsValue | undefined {
    const lower = name.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (lower === 'null') return null;
    if (lower === '?') return this.lastSucceeded;
    if (lower === '_' || lower === 'psitem') return this.dollarUnderscore.length > 0 ? this.dollarUnderscore[this.dollarUnderscore.length - 1]! : null;
    if (lower.startsWith('env:')) return this.environment(lower.slice(4));
    if (lower.startsWith('global:') || lower.startsWith('script:')) return this.scopes[0]!.get(lower.slice(lower.indexOf(':') + 1));
    if (lower.startsWith('local:')) return this.variables.get(lower.slice(6));
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const scope = this.scopes[i]!;
      if (scope.has(lower)) return scope.get(lower);
    }
    return undefined;
  }

  setVariable(name: string, value: PsValue): void {
    const scope = /^(global|script):/i.test(name) ? this.scopes[0]! : this.variables;
    const lower = name.toLowerCase().replace(/^(global|script|local):/, '');
    if (lower === 'null') return;
    if (AUTOMATIC_READONLY.has(lower) || lower === '?') {
      throw runtimeError(`Cannot overwrite variable ${name} because it is read-only or constant.`, 'VariableNotWritable', 'WriteError', 'System.Management.Automation.SessionStateUnauthorizedAccessException');
    }
    if (lower === 'erroractionpreference') {
      parseActionPreference(value, 'RuntimeException');
      scope.set(lower, toPsString(value));
      return;
    }
    scope.set(lower, value);
  }

  private environment(name: string): PsValue {
    const env: Record<string, string> = {
      computername: this.host.computerName,
      username: 'Administrator',
      userdomain: this.host.computerName,
      systemroot: 'C:\\Windows',
      windir: 'C:\\Windows',
      temp: 'C:\\Users\\Administrator\\AppData\\Local\\Temp',
      tmp: 'C:\\Users\\Administrator\\AppData\\Local\\Temp',
      programdata: 'C:\\ProgramData',
      processor_architecture: 'AMD64',
      os: 'Windows_NT',
    };
    return env[name] ?? null;
  }

  /** Runs a whole script; terminating errors end it like powershell.exe does. */
  runProgram(program: StatementList): number {
    try {
      for (const statement of program.statements) {
        try {
          const items = this.executeStatement(statement);
          if (items.length > 0) this.appendStdout(formatForHost(items));
        } catch (error) {
          if (error instanceof PowerShellRuntimeError && error.scope === 'statement') {
            this.emitError(error.record);
            this.lastSucceeded = false;
            continue;
          }
          throw error;
        }
      }
      return this.lastSucceeded ? 0 : 1;
    } catch (error) {
      if (carriesOutput(error) && error.pending.length > 0) {
        this.appendStdout(formatForHost(error.pending as PsValue[]));
      }
      if (error instanceof ExitSignal) return error.exitCode;
      // `return`, or `break`/`continue` outside a loop, end the script (as PowerShell does).
      if (error instanceof ReturnSignal || error instanceof LoopSignal) return this.lastSucceeded ? 0 : 1;
      if (error instanceof PowerShellRuntimeError) {
        this.emitError(error.record);
        return 1;
      }
      throw error;
    }
  }

  private emitError(record: ErrorRecordData): void {
    this.errors.push(record);
    this.errorList.unshift(errorRecordObject(record));
  }

  /** Executes statements and collects their output (script blocks, subexpressions, branches). */
  executeStatements(list: StatementList): PsValue[] {
    const output: PsValue[] = [];
    for (const statement of list.statements) {
      try {
        output.push(...this.executeStatement(statement));
      } catch (error) {
        if (error instanceof PowerShellRuntimeError && error.scope === 'statement' && this.tryDepth === 0) {
          this.emitError(error.record);
          this.lastSucceeded = false;
          continue;
        }
        if (carriesOutput(error)) error.pending = [...output, ...error.pending];
        throw error;
      }
    }
    return output;
  }

  private executeStatement(statement: Statement): PsValue[] {
    this.tick();
    switch (statement.kind) {
      case 'pipeline': {
        this.lastSucceeded = true;
        return this.runPipeline(statement.pipeline);
      }
      case 'assignment': {
        this.lastSucceeded = true;
        const value = this.statementValue(statement.value);
        this.assign(statement.target, statement.operator, value);
        return [];
      }
      case 'if': {
        for (const clause of statement.clauses) {
          if (isTruthy(this.pipelineValue(clause.condition))) return this.executeStatements(clause.body);
        }
        return statement.elseBody ? this.executeStatements(statement.elseBody) : [];
      }
      case 'foreach': {
        const output: PsValue[] = [];
        const collection = this.pipelineValue(statement.collection);
        for (const item of collection === null ? [] : enumerate(collection)) {
          this.setVariable(statement.variable, item);
          if (this.loopBody(statement.body, output) === 'break') break;
        }
        return output;
      }
      case 'while': {
        const output: PsValue[] = [];
        // Every iteration ticks the step budget, so an endless loop ends with ExecutionBudgetExceeded.
        while (isTruthy(this.pipelineValue(statement.condition))) {
          this.tick();
          if (this.loopBody(statement.body, output) === 'break') break;
        }
        return output;
      }
      case 'for': {
        const output: PsValue[] = [];
        if (statement.init) output.push(...this.executeStatement(statement.init));
        while (statement.condition === undefined || isTruthy(this.pipelineValue(statement.condition))) {
          this.tick();
          if (this.loopBody(statement.body, output) === 'break') break;
          if (statement.step) output.push(...this.executeStatement(statement.step));
        }
        return output;
      }
      case 'break':
      case 'continue':
        throw new LoopSignal(statement.kind);
      case 'function':
        this.functions.set(statement.name.toLowerCase(), statement);
        return [];
      case 'try':
        return this.executeTry(statement);
      case 'throw': {
        const value = statement.value ? this.pipelineValue(statement.value) : null;
        if (value instanceof PsObject && value.native?.kind === 'error') throw new PowerShellRuntimeError(value.native.record, 'script');
        const message = statement.value ? toPsString(value) : 'ScriptHalted';
        throw new PowerShellRuntimeError({ message, fullyQualifiedErrorId: message, category: 'OperationStopped', targetObject: message, exceptionType: 'System.Management.Automation.RuntimeException' }, 'script');
      }
      case 'exit': {
        const value = statement.value ? this.evaluate(statement.value) : 0;
        let code: number;
        try {
          code = Math.trunc(toNumber(value));
        } catch {
          code = 1;
        }
        throw new ExitSignal(code | 0);
      }
      case 'return': {
        const signal = new ReturnSignal();
        if (statement.value) signal.pending = this.runPipeline(statement.value);
        throw signal;
      }
    }
  }

  /** Runs one loop iteration; `break`/`continue` in it (or in a nested block) end or skip it. */
  private loopBody(body: StatementList, output: PsValue[]): 'break' | 'next' {
    try {
      output.push(...this.executeStatements(body));
      return 'next';
    } catch (error) {
      if (error instanceof LoopSignal) {
        output.push(...(error.pending as PsValue[]));
        return error.kind === 'break' ? 'break' : 'next';
      }
      // Output of earlier iterations was already written when the script returns, exits or fails.
      if (carriesOutput(error)) error.pending = [...output, ...error.pending];
      throw error;
    }
  }

  private executeTry(statement: Extract<Statement, { kind: 'try' }>): PsValue[] {
    const output: PsValue[] = [];
    try {
      this.tryDepth++;
      try {
        output.push(...this.executeStatements(statement.body));
      } finally {
        this.tryDepth--;
      }
    } catch (error) {
      if (!(error instanceof PowerShellRuntimeError)) {
        const finallyOutput = statement.finallyBody ? this.executeStatements(statement.finallyBody) : [];
        if (carriesOutput(error)) error.pending = [...output, ...error.pending, ...finallyOutput];
        throw error;
      }
      output.push(...(error.pending as PsValue[]));
      error.pending = [];
      const handler = statement.catches.find((clause) => clause.types.length === 0 || clause.types.some((type) => catchMatches(type, error.record.exceptionType)));
      if (!handler) {
        if (statement.finallyBody) output.push(...this.executeStatements(statement.finallyBody));
        error.pending = [...output];
        throw error;
      }
      this.errorList.unshift(errorRecordObject(error.record));
      this.dollarUnderscore.push(errorRecordObject(error.record));
      try {
        this.lastSucceeded = true;
        output.push(...this.executeStatements(handler.body));
      } catch (inner) {
        if (carriesOutput(inner)) inner.pending = [...output, ...inner.pending];
        throw inner;
      } finally {
        this.dollarUnderscore.pop();
        if (statement.finallyBody) output.push(...this.executeStatements(statement.finallyBody));
      }
      return output;
    }
    if (statement.finallyBody) output.push(...this.executeStatements(statement.finallyBody));
    return output;
  }

  /** The value of a statement used on the right of `=`: a lone expression keeps its value, commands collapse. */
  private statementValue(statement: Statement): PsValue {
    if (statement.kind === 'pipeline') return this.pipelineValue(statement.pipeline);
    if (statement.kind === 'assignment') {
      this.executeStatement(statement);
      return this.evaluate(statement.target);
    }
    return collapse(this.executeStatement(statement));
  }

  private pipelineValue(pipeline: PipelineNode): PsValue {
    const first = pipeline.elements[0];
    if (pipeline.elements.length === 1 && first?.kind === 'expression') return this.evaluate(first.expression);
    return collapse(this.runPipeline(pipeline));
  }

  private assign(target: Expression, operator: '=' | '+=' | '-=', value: PsValue): void {
    const combine = (current: PsValue) => (operator === '=' ? value : arithmetic(operator === '+=' ? '+' : '-', current, value));
    if (target.kind === 'variable') {
      this.setVariable(target.name, combine(this.getVariable(target.name) ?? null));
      return;
    }
    if (target.kind === 'cast' && target.operand.kind === 'variable') {
      this.setVariable(target.operand.name, castValue(target.typeName, combine(this.getVariable(target.operand.name) ?? null)));
      return;
    }
    if (target.kind === 'member') {
      const object = this.evaluate(target.target);
      const name = toPsString(this.evaluate(target.member));
      setMember(object, name, combine(getMember(object, name)));
      return;
    }
    if (target.kind === 'index') {
      const object = this.evaluate(target.target);
      const index = this.evaluate(target.index);
      setIndex(object, index, combine(getIndex(object, index)));
      return;
    }
    throw runtimeError('The assignment expression is not valid. The input to an assignment operator must be an object that is able to accept assignments, such as a variable or a property.', 'InvalidLeftHandSide');
  }

  runPipeline(pipeline: PipelineNode): PsValue[] {
    let items: PsValue[] | undefined;
    for (const element of pipeline.elements) {
      this.tick();
      if (element.kind === 'expression') {
        if (items !== undefined) throw runtimeError('Expressions are only allowed as the first element of a pipeline.', 'ExpressionsMustBeFirstInPipeline', 'ParserError');
        const value = this.evaluate(element.expression);
        // An empty subexpression sends nothing down the pipe; an explicit $null is one item.
        if (value === null) items = element.expression.kind === 'subexpression' || element.expression.kind === 'arraySubexpression' ? [] : [null];
        else items = enumerate(value);
        continue;
      }
      items = this.invokeCommand(element, items);
    }
    return items ?? [];
  }

  private evaluateArguments(command: CommandNode): EvaluatedArgument[] {
    return command.arguments.map((arg) => {
      if (arg.kind === 'positional') return { kind: 'positional', value: this.evaluate(arg.value) };
      if (arg.value !== undefined) return { kind: 'parameter', name: arg.name, text: arg.text, value: this.evaluate(arg.value), hasValue: true };
      return { kind: 'parameter', name: arg.name, text: arg.text, hasValue: false };
    });
  }

  private invokeCommand(command: CommandNode, input: PsValue[] | undefined): PsValue[] {
    const rawName = typeof command.name === 'string' ? command.name : toPsString(this.evaluate(command.name));
    const userFunction = this.functions.get(rawName.toLowerCase());
    if (userFunction) {
      recordCommand(this.host, userFunction.name);
      this.commandsRun.push(userFunction.name);
      return this.invokeFunction(userFunction, command, input);
    }
    const cmdlet = this.cmdlets.get(rawName.toLowerCase());
    recordCommand(this.host, cmdlet?.name ?? rawName);
    this.commandsRun.push(cmdlet?.name ?? rawName);
    if (!cmdlet) throw new PowerShellRuntimeError(commandNotFound(rawName), 'statement');
    if (++this.callDepth > MAX_CALL_DEPTH) {
      this.callDepth--;
      throw new PowerShellRuntimeError({ message: 'The script failed due to call depth overflow.', fullyQualifiedErrorId: 'CallDepthOverflow', category: 'InvalidOperation', exceptionType: 'System.Management.Automation.ScriptCallDepthException' }, 'script');
    }
    try {
      const args = this.evaluateArguments(command);
      let binding;
      try {
        binding = bindParameters(cmdlet, args, input !== undefined);
      } catch (error) {
        if (error instanceof PowerShellRuntimeError) {
          throw new PowerShellRuntimeError({ ...error.record, commandName: cmdlet.name }, this.escalate(error.scope, undefined));
        }
        throw error;
      }
      const preference: ErrorActionName = binding.errorAction ?? parseActionPreference(this.getVariable('ErrorActionPreference') ?? 'Continue', 'RuntimeException');
      const routes = this.resolveRedirections(command);
      const output: PsValue[] = [];
      const errorVariable = binding.params.string('ErrorVariable');
      const outVariable = binding.params.string('OutVariable');
      const collectedErrors: PsValue[] = [];
      // -ErrorVariable/-OutVariable are set even when the command fails; `+name` appends.
      const publish = () => {
        for (const [spec, values] of [[errorVariable, collectedErrors], [outVariable, output]] as const) {
          if (spec === undefined) continue;
          const append = spec.startsWith('+');
          const name = append ? spec.slice(1) : spec;
          const previous = append ? this.getVariable(name) : undefined;
          this.setVariable(name, [...(previous === undefined || previous === null ? [] : enumerate(previous)), ...values]);
        }
      };
      let failed = false;
      const call: CmdletCall = {
        name: cmdlet.name,
        params: binding.params,
        input: input ?? [],
        hasPipelineInput: input !== undefined,
        host: this.host,
        runtime: this,
        write: (value) => {
          this.tick();
          output.push(value);
        },
        writeError: (record) => {
          failed = true;
          // PowerShell labels Write-Error's records with the caller's command line ("Write-Error \"x\" : x").
          const full: ErrorRecordData = { ...record, commandName: cmdlet.name === 'Write-Error' ? command.text : cmdlet.name };
          collectedErrors.push(errorRecordObject(full));
          if (preference === 'Stop') publish();
          if (preference === 'Stop') throw new PowerShellRuntimeError(full, 'script');
          if (preference === 'Ignore') return;
          if (preference === 'SilentlyContinue' || routes.error !== undefined) {
            this.errorList.unshift(errorRecordObject(full));
            if (routes.error === 'merge') output.push(errorRecordObject(full));
            else if (typeof routes.error === 'string') this.writeToFile(routes.error, full.message);
            return;
          }
          this.emitError({ ...full, ...({ commandText: command.text } as object) });
        },
        terminate: (record) => {
          throw new PowerShellRuntimeError({ ...record, commandName: cmdlet.name }, this.escalate('statement', preference));
        },
      };
      if (cmdlet.shouldProcess === 'high' && binding.confirm !== false && !binding.params.switch('Force') && !binding.whatIf) {
        call.terminate({
          message: 'A command that prompts the user failed because the host program or the command type does not support user interaction. The host was attempting to request confirmation with the following message: Are you sure you want to perform this action?',
          fullyQualifiedErrorId: `HostException,${cmdlet.name}`,
          category: 'NotImplemented',
          exceptionType: 'System.Management.Automation.Host.HostException',
        });
      }
      if (binding.whatIf) return [];
      cmdlet.invoke(call);
      publish();
      if (failed) this.lastSucceeded = false;
      if (routes.output === 'null') return [];
      if (typeof routes.output === 'string') {
        this.writeToFile(routes.output, formatForHost(output));
        return [];
      }
      return output;
    } finally {
      this.callDepth--;
    }
  }

  /**
   * Where a command's output and error streams go: `null` (discarded), `merge` (errors into the output, `2>&1`),
   * a file path on the host, or undefined (the default streams).
   */
  private resolveRedirections(command: CommandNode): { output?: 'null' | string; error?: 'null' | 'merge' | string } {
    const routes: { output?: 'null' | string; error?: 'null' | 'merge' | string } = {};
    for (const redirection of command.redirections) {
      let target: 'null' | 'merge' | string;
      if (redirection.target === 'merge') target = 'merge';
      else {
        const value = this.evaluate(redirection.target);
        target = value === null ? 'null' : toPsString(value);
      }
      if (redirection.stream === 'output' || redirection.stream === 'all') routes.output = target === 'merge' ? undefined : target;
      if (redirection.stream === 'error' || redirection.stream === 'all') routes.error = target;
    }
    return routes;
  }

  private writeToFile(path: string, text: string): void {
    const existing = this.host.files[pathKey(path)];
    if (!existing) addFile(this.host, path, 0);
    this.host.files[pathKey(path)]!.sizeBytes += Buffer.byteLength(text, 'utf16le');
  }

  /** Statement-terminating errors become script-terminating under `Stop`. */
  private escalate(scope: 'statement' | 'script', preference: ErrorActionName | undefined): 'statement' | 'script' {
    const effective = preference ?? toPsString(this.getVariable('ErrorActionPreference') ?? 'Continue');
    return effective.toLowerCase() === 'stop' ? 'script' : scope;
  }

  /**
   * Calls a script function: named arguments bind to parameters by (unambiguous prefix of) name, `[switch]`
   * parameters take no value, the rest bind by position; unbound arguments land in `$args`, pipeline input in
   * `$input`. The body runs in a scope of its own.
   */
  private invokeFunction(definition: Extract<Statement, { kind: 'function' }>, command: CommandNode, input: PsValue[] | undefined): PsValue[] {
    if (++this.callDepth > MAX_CALL_DEPTH || this.scopes.length > MAX_CALL_DEPTH) {
      this.callDepth--;
      throw new PowerShellRuntimeError({ message: 'The script failed due to call depth overflow.', fullyQualifiedErrorId: 'CallDepthOverflow', category: 'InvalidOperation', exceptionType: 'System.Management.Automation.ScriptCallDepthException' }, 'script');
    }
    try {
      const args = this.evaluateArguments(command);
      const bound = new Map<string, PsValue>();
      const positional: PsValue[] = [];
      const isSwitch = (parameter: FunctionParameter) => parameter.typeName?.toLowerCase() === 'switch';
      for (let i = 0; i < args.length; i++) {
        const arg = args[i]!;
        if (arg.kind === 'positional') {
          positional.push(arg.value);
          continue;
        }
        const matches = definition.parameters.filter((parameter) => parameter.name.toLowerCase().startsWith(arg.name.toLowerCase()));
        const parameter = matches.find((candidate) => candidate.name.toLowerCase() === arg.name.toLowerCase()) ?? (matches.length === 1 ? matches[0] : undefined);
        if (!parameter) {
          throw new PowerShellRuntimeError(
            { message: `A parameter cannot be found that matches parameter name '${arg.name}'.`, fullyQualifiedErrorId: `NamedParameterNotFound,${definition.name}`, category: 'InvalidArgument', exceptionType: 'System.Management.Automation.ParameterBindingException', commandName: definition.name },
            'statement',
          );
        }
        let value: PsValue = true;
        if (arg.hasValue) value = arg.value ?? null;
        else if (!isSwitch(parameter)) {
          const next = args[i + 1];
          if (!next || next.kind !== 'positional') {
            throw new PowerShellRuntimeError(
              { message: `Missing an argument for parameter '${parameter.name}'. Specify a parameter of type 'System.Object' and try again.`, fullyQualifiedErrorId: `MissingArgument,${definition.name}`, category: 'InvalidArgument', exceptionType: 'System.Management.Automation.ParameterBindingException', commandName: definition.name },
              'statement',
            );
          }
          value = next.value;
          i++;
        }
        bound.set(parameter.name.toLowerCase(), value);
      }
      const scope = new Map<string, PsValue>();
      this.scopes.push(scope);
      try {
        for (const parameter of definition.parameters) {
          const key = parameter.name.toLowerCase();
          let value: PsValue;
          if (bound.has(key)) value = bound.get(key)!;
          else if (!isSwitch(parameter) && positional.length > 0) value = positional.shift()!;
          else if (parameter.defaultValue) value = this.evaluate(parameter.defaultValue);
          else value = isSwitch(parameter) ? false : null;
          scope.set(key, parameter.typeName && !isSwitch(parameter) && value !== null ? castValue(parameter.typeName, value) : isSwitch(parameter) ? isTruthy(value) : value);
        }
        scope.set('args', positional);
        scope.set('input', input ?? []);
        try {
          return this.executeStatements(definition.body);
        } catch (error) {
          if (error instanceof ReturnSignal) return error.pending as PsValue[];
          throw error;
        }
      } finally {
        this.scopes.pop();
      }
    } finally {
      this.callDepth--;
    }
  }

  invokeScriptBlock(block: PsScriptBlock, dollarUnderscore: PsValue, args: PsValue[] = []): PsValue[] {
    if (++this.callDepth > MAX_CALL_DEPTH) {
      this.callDepth--;
      throw new PowerShellRuntimeError({ message: 'The script failed due to call depth overflow.', fullyQualifiedErrorId: 'CallDepthOverflow', category: 'InvalidOperation', exceptionType: 'System.Management.Automation.ScriptCallDepthException' }, 'script');
    }
    this.dollarUnderscore.push(dollarUnderscore);
    const savedArgs = this.variables.get('args');
    this.variables.set('args', args);
    try {
      return this.executeStatements(block.node.body);
    } catch (error) {
      if (error instanceof ReturnSignal) return error.pending as PsValue[];
      throw error;
    } finally {
      this.dollarUnderscore.pop();
      if (savedArgs === undefined) this.variables.delete('args');
      else this.variables.set('args', savedArgs);
      this.callDepth--;
    }
  }

  evaluate(expression: Expression): PsValue {
    this.tick();
    switch (expression.kind) {
      case 'constant':
        return expression.value;
      case 'variable':
        return this.getVariable(expression.name) ?? null;
      case 'expandable':
        return expression.parts
          .map((part) => {
            if (typeof part === 'string') return part;
            if (part.kind === 'variable') return toPsString(this.getVariable(part.name) ?? null);
            return toPsString(collapse(this.executeStatements(part.body)));
          })
          .join('');
      case 'array':
        return expression.items.map((item) => this.evaluate(item));
      case 'arraySubexpression':
        return this.executeStatements(expression.body);
      case 'subexpression':
        return collapse(this.executeStatements(expression.body));
      case 'paren':
        return this.statementValue(expression.statement);
      case 'hashtable': {
        const table = new PsHashtable();
        for (const entry of expression.entries) table.set(toPsString(this.evaluate(entry.key)), this.statementValue(entry.value));
        return table;
      }
      case 'scriptblock':
        return new PsScriptBlock(expression.block, expression.text);
      case 'type':
        return new PsTypeName(expression.typeName);
      case 'cast':
        return castValue(expression.typeName, this.evaluate(expression.operand));
      case 'member': {
        const name = toPsString(this.evaluate(expression.member));
        if (expression.isStatic) {
          const target = this.evaluate(expression.target);
          return invokeStatic(target instanceof PsTypeName ? target.name : toPsString(target), name, undefined);
        }
        return getMember(this.evaluate(expression.target), name);
      }
      case 'invoke': {
        const target = this.evaluate(expression.target);
        const name = toPsString(this.evaluate(expression.member));
        const args = expression.arguments.map((arg) => this.evaluate(arg));
        if (expression.isStatic) return invokeStatic(target instanceof PsTypeName ? target.name : toPsString(target), name, args);
        return invokeMethod(target, name, args);
      }
      case 'index':
        return getIndex(this.evaluate(expression.target), this.evaluate(expression.index));
      case 'unary':
        return this.evaluateUnary(expression.operator, expression.operand);
      case 'binary':
        return this.evaluateBinary(expression.operator, expression.left, expression.right);
    }
  }

  private evaluateUnary(operator: string, operandExpression: Expression): PsValue {
    const operand = this.evaluate(operandExpression);
    switch (operator) {
      case '-not':
      case '!':
        return !isTruthy(operand);
      case '-':
        return -toNumber(operand);
      case '+':
        return toNumber(operand);
      case '-bnot':
        return ~toNumber(operand);
      case '-split':
        return toPsString(operand).trim().split(/\s+/);
      case '-join':
        return (Array.isArray(operand) ? operand : [operand]).map((item) => toPsString(item)).join('');
      default:
        throw runtimeError(`The unary operator '${operator}' is not supported.`, 'OperatorNotSupported');
    }
  }

  private evaluateBinary(operator: string, leftExpression: Expression, rightExpression: Expression): PsValue {
    if (operator === '-and') return isTruthy(this.evaluate(leftExpression)) && isTruthy(this.evaluate(rightExpression));
    if (operator === '-or') return isTruthy(this.evaluate(leftExpression)) || isTruthy(this.evaluate(rightExpression));
    const left = this.evaluate(leftExpression);
    const right = this.evaluate(rightExpression);
    if (operator === '-xor') return isTruthy(left) !== isTruthy(right);
    if (['+', '-', '*', '/', '%'].includes(operator)) return arithmetic(operator, left, right);
    if (operator === '..') return range(left, right);
    if (operator === '-f') return formatOperator(toPsString(left), right === null ? [null] : Array.isArray(right) ? right : [right]);
    const state: MatchState = {};
    const result = compare(operator, left, right, state);
    if (state.matches) this.variables.set('matches', state.matches);
    return result;
  }
}

/** Control-flow signals and errors that carry the output written before they unwound. */
function carriesOutput(error: unknown): error is ExitSignal | ReturnSignal | LoopSignal | PowerShellRuntimeError {
  return error instanceof ExitSignal || error instanceof ReturnSignal || error instanceof LoopSignal || error instanceof PowerShellRuntimeError;
}

function catchMatches(typeName: string, exceptionType: string): boolean {
  const wanted = typeName.toLowerCase().replace(/^system\./, '');
  const actual = exceptionType.toLowerCase();
  if (wanted === 'exception' || wanted === 'management.automation.runtimeexception' && actual.includes('automation')) return true;
  return actual === typeName.toLowerCase() || actual.endsWith(`.${wanted}`) || actual.split('.').pop() === wanted.split('.').pop();
}
