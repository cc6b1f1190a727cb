/** Syntax tree of the PowerShell subset. Every node carries its source offset for error positions. */

export interface StatementList {
  kind: 'statements';
  statements: Statement[];
}

export type Statement =
  | { kind: 'pipeline'; pipeline: PipelineNode; pos: number }
  | { kind: 'assignment'; target: Expression; operator: '=' | '+=' | '-='; value: Statement; pos: number }
  | { kind: 'if'; clauses: Array<{ condition: PipelineNode; body: StatementList }>; elseBody?: StatementList; pos: number }
  | { kind: 'try'; body: StatementList; catches: Array<{ types: string[]; body: StatementList }>; finallyBody?: StatementList; pos: number }
  | { kind: 'throw'; value?: PipelineNode; pos: number }
  | { kind: 'exit'; value?: Expression; pos: number }
  | { kind: 'return'; value?: PipelineNode; pos: number }
  | { kind: 'foreach'; variable: string; collection: PipelineNode; body: StatementList; pos: number }
  | { kind: 'while'; condition: PipelineNode; body: StatementList; pos: number }
  | { kind: 'for'; init?: Statement; condition?: PipelineNode; step?: Statement; body: StatementList; pos: number }
  | { kind: 'break' | 'continue'; pos: number }
  | { kind: 'function'; name: string; parameters: FunctionParameter[]; body: StatementList; pos: number };

export interface FunctionParameter {
  name: string;
  /** `[switch]`, `[int]`, … when declared. */
  typeName?: string;
  defaultValue?: Expression;
}

export interface PipelineNode {
  kind: 'pipeline';
  elements: PipelineElement[];
  pos: number;
}

export type PipelineElement = { kind: 'expression'; expression: Expression; pos: number } | CommandNode;

export interface CommandNode {
  kind: 'command';
  /** A literal name, or an expression after `&`. */
  name: string | Expression;
  arguments: CommandArgument[];
  pos: number;
  /** Source text of the command element, for error messages. */
  text: string;
  /** `> $null`, `2> $null`, `2>&1`, `*> file`: which stream goes where. */
  redirections: Redirection[];
}

export interface Redirection {
  stream: 'output' | 'error' | 'all' | 'other';
  /** `merge` = into the output stream (`2>&1`); otherwise an expression for the target (`$null` or a path). */
  target: 'merge' | Expression;
  append: boolean;
}

export type CommandArgument =
  | { kind: 'parameter'; name: string; /** `-Name:value` form */ value?: Expression; text: string }
  | { kind: 'positional'; value: Expression };

export type StringPart = string | { kind: 'variable'; name: string } | { kind: 'subexpression'; body: StatementList };

export interface ScriptBlockNode {
  kind: 'scriptblock';
  body: StatementList;
}

export type Expression =
  | { kind: 'constant'; value: string | number | boolean | null }
  | { kind: 'expandable'; parts: StringPart[] }
  | { kind: 'variable'; name: string }
  | { kind: 'array'; items: Expression[] }
  | { kind: 'arraySubexpression'; body: StatementList }
  | { kind: 'subexpression'; body: StatementList }
  | { kind: 'paren'; statement: Statement }
  | { kind: 'hashtable'; entries: Array<{ key: Expression; value: Statement }> }
  | { kind: 'scriptblock'; block: ScriptBlockNode; text: string }
  | { kind: 'member'; target: Expression; member: Expression; isStatic: boolean }
  | { kind: 'invoke'; target: Expression; member: Expression; isStatic: boolean; arguments: Expression[] }
  | { kind: 'index'; target: Expression; index: Expression }
  | { kind: 'unary'; operator: string; operand: Expression }
  | { kind: 'binary'; operator: string; left: Expression; right: Expression }
  | { kind: 'cast'; typeName: string; operand: Expression }
  | { kind: 'type'; typeName: string };
