/**
 * Recursive-descent parser for the PowerShell subset. It drives the lexer in expression or argument mode
 * depending on where it is (command arguments vs expressions), the way PowerShell's own parser does.
 * Operator precedence follows about_Operator_Precedence (postfix > cast > comma > -not > .. > -f > * / % >
 * + - > comparison and bitwise > -and -or -xor).
 */
import type { CommandArgument, CommandNode, Expression, FunctionParameter, PipelineElement, PipelineNode, Redirection, Statement, StatementList } from './ast.ts';
import { PowerShellParseError } from './errors.ts';
import type { LexMode, Token } from './lexer.ts';
import { Lexer, parseNumberLiteral } from './lexer.ts';

/** Guards the recursion depth so hostile input fails with a parse error instead of a stack overflow. */
const MAX_NESTING = 100;
/** Scripts over this size are refused (PowerShell itself caps -EncodedCommand at the command-line limit). */
export const MAX_SCRIPT_LENGTH = 1_000_000;

const KEYWORDS = new Set(['if', 'elseif', 'else', 'try', 'catch', 'finally', 'throw', 'exit', 'return', 'foreach', 'function', 'while', 'do', 'for', 'switch', 'param', 'trap', 'break', 'continue']);
const COMPARISON = /^-[ci]?(eq|ne|gt|ge|lt|le|like|notlike|match|notmatch|contains|notcontains|in|notin|replace|split|join|is|isnot|as|band|bor|bxor)$/;
const LOGICAL = new Set(['-and', '-or', '-xor']);

export function parseScript(source: string): StatementList {
  if (source.length > MAX_SCRIPT_LENGTH) throw new PowerShellParseError('The script is too long.', 'ScriptTooLong', 0);
  const parser = new Parser(source);
  return parser.parseProgram();
}

class Parser {
  private pos = 0;
  private depth = 0;
  /** False while parsing method arguments, where commas separate arguments instead of building arrays. */
  private commaAllowed = true;
  private readonly lexer: Lexer;

  constructor(private readonly source: string) {
    this.lexer = new Lexer(source, (start) => this.parseEmbeddedSubexpression(start));
  }

  parseProgram(): StatementList {
    const list = this.parseStatementList('eof');
    return list;
  }

  private peek(mode: LexMode = 'expression'): Token {
    return this.lexer.scan(this.pos, mode);
  }

  private take(mode: LexMode = 'expression'): Token {
    const token = this.lexer.scan(this.pos, mode);
    this.pos = token.end;
    return token;
  }

  private expect(type: Token['type'], mode: LexMode, what: string): Token {
    const token = this.take(mode);
    if (token.type !== type) throw new PowerShellParseError(`Missing ${what}.`, `Missing${type}`, token.pos);
    return token;
  }

  private enter(pos: number): void {
    if (++this.depth > MAX_NESTING) throw new PowerShellParseError('The script is nested too deeply.', 'ScriptTooDeeplyNested', pos);
  }

  private leave(): void {
    this.depth--;
  }

  private skipNewlines(): void {
    for (;;) {
      const token = this.peek();
      if (token.type !== 'newline') return;
      this.pos = token.end;
    }
  }

  private parseEmbeddedSubexpression(start: number): { body: StatementList; end: number } {
    const saved = this.pos;
    this.pos = start;
    const body = this.parseStatementList('rparen');
    this.expect('rparen', 'expression', "closing ')' in subexpression");
    const end = this.pos;
    this.pos = saved;
    return { body, end };
  }

  private parseStatementList(terminator: 'eof' | 'rbrace' | 'rparen'): StatementList {
    this.enter(this.pos);
    const statements: Statement[] = [];
    for (;;) {
      const token = this.peek('argument');
      if (token.type === 'newline' || token.type === 'semi') {
        this.pos = token.end;
        continue;
      }
      if (token.type === terminator) break;
      if (token.type === 'eof') {
        const closer = terminator === 'rbrace' ? "'}'" : "')'";
        throw new PowerShellParseError(`Missing closing ${closer} in statement block or type definition.`, terminator === 'rbrace' ? 'MissingEndCurlyBrace' : 'MissingEndParenthesisInExpression', token.pos);
      }
      if (token.type === 'rbrace' || token.type === 'rparen') {
        throw new PowerShellParseError(`Unexpected token '${token.type === 'rbrace' ? '}' : ')'}' in expression or statement.`, 'UnexpectedToken', token.pos);
      }
      statements.push(this.parseStatement());
      const after = this.peek('argument');
      if (after.type !== 'newline' && after.type !== 'semi' && after.type !== terminator && after.type !== 'eof') {
        const text = this.source.slice(after.pos, Math.min(after.end, after.pos + 40));
        throw new PowerShellParseError(`Unexpected token '${text}' in expression or statement.`, 'UnexpectedToken', after.pos);
      }
    }
    this.leave();
    return { kind: 'statements', statements };
  }

  private parseBlock(): StatementList {
    this.skipNewlines();
    this.expect('lbrace', 'expression', "'{' (statement block)");
    const body = this.parseStatementList('rbrace');
    this.expect('rbrace', 'expression', "closing '}' in statement block");
    return body;
  }

  private keywordAhead(): string | undefined {
    const token = this.peek('argument');
    if (token.type !== 'word') return undefined;
    const lower = token.text.toLowerCase();
    return KEYWORDS.has(lower) ? lower : undefined;
  }

  /** True when the next token ends the statement (nothing follows `throw`/`exit`/`return`). */
  private atStatementEnd(): boolean {
    const token = this.peek('argument');
    return ['newline', 'semi', 'eof', 'rbrace', 'rparen', 'pipe'].includes(token.type);
  }

  private parseStatement(): Statement {
    const start = this.peek('argument');
    const pos = start.pos;
    const keyword = this.keywordAhead();
    if (keyword !== undefined) {
      this.pos = start.end;
      switch (keyword) {
        case 'if':
          return this.parseIf(pos);
        case 'try':
          return this.parseTry(pos);
        case 'throw':
          return this.atStatementEnd() ? { kind: 'throw', pos } : { kind: 'throw', value: this.parsePipeline(), pos };
        case 'return':
          return this.atStatementEnd() ? { kind: 'return', pos } : { kind: 'return', value: this.parsePipeline(), pos };
        case 'exit':
          return this.atStatementEnd() ? { kind: 'exit', pos } : { kind: 'exit', value: this.parseExpression(), pos };
        case 'foreach':
          return this.parseForeach(pos);
        case 'while': {
          this.expect('lparen', 'expression', "'(' after 'while'");
          this.skipNewlines();
          const condition = this.parsePipeline();
          this.skipNewlines();
          this.expect('rparen', 'expression', "closing ')' after expression in 'while' statement");
          return { kind: 'while', condition, body: this.parseBlock(), pos };
        }
        case 'for':
          return this.parseFor(pos);
        case 'break':
        case 'continue':
          return { kind: keyword, pos };
        case 'function':
          return this.parseFunction(pos);
        default:
          throw new PowerShellParseError(`The '${keyword}' keyword is not supported by this PowerShell host.`, 'UnsupportedKeyword', pos);
      }
    }
    // An assignment starts with an assignable expression followed by '=', '+=' or '-='.
    if (start.type === 'variable') {
      const saved = this.pos;
      const target = this.parsePostfix(this.parsePrimary());
      // `$i++` / `$i--` as a statement.
      const after = this.lexer.skipTrivia(this.pos);
      const pair = this.source.slice(after, after + 2);
      if (pair === '++' || pair === '--') {
        this.pos = after + 2;
        const one: Statement = { kind: 'pipeline', pipeline: { kind: 'pipeline', elements: [{ kind: 'expression', expression: { kind: 'constant', value: 1 }, pos: after }], pos: after }, pos: after };
        return { kind: 'assignment', target, operator: pair === '++' ? '+=' : '-=', value: one, pos };
      }
      const op = this.peek();
      if (op.type === 'assign') {
        this.pos = op.end;
        this.skipNewlines();
        const value = this.parseStatement();
        return { kind: 'assignment', target, operator: op.text, value, pos };
      }
      this.pos = saved;
    }
    return { kind: 'pipeline', pipeline: this.parsePipeline(), pos };
  }

  private parseIf(pos: number): Statement {
    const clauses: Array<{ condition: PipelineNode; body: StatementList }> = [];
    let elseBody: StatementList | undefined;
    const parseClause = () => {
      this.skipNewlines();
      this.expect('lparen', 'expression', "'(' after 'if'");
      this.skipNewlines();
      const condition = this.parsePipeline();
      this.skipNewlines();
      this.expect('rparen', 'expression', "closing ')' after expression in 'if' statement");
      clauses.push({ condition, body: this.parseBlock() });
    };
    parseClause();
    for (;;) {
      const saved = this.pos;
      this.skipNewlines();
      const keyword = this.keywordAhead();
      if (keyword === 'elseif') {
        this.take('argument');
        parseClause();
      } else if (keyword === 'else') {
        this.take('argument');
        elseBody = this.parseBlock();
        break;
      } else {
        this.pos = saved;
        break;
      }
    }
    return { kind: 'if', clauses, ...(elseBody ? { elseBody } : {}), pos };
  }

  private parseTry(pos: number): Statement {
    const body = this.parseBlock();
    const catches: Array<{ types: string[]; body: StatementList }> = [];
    let finallyBody: StatementList | undefined;
    for (;;) {
      const saved = this.pos;
      this.skipNewlines();
      const keyword = this.keywordAhead();
      if (keyword === 'catch') {
        this.take('argument');
        const types: string[] = [];
        for (;;) {
          const token = this.peek();
          if (token.type !== 'lbracket') break;
          types.push(this.readTypeName());
          const comma = this.peek();
          if (comma.type === 'comma') this.pos = comma.end;
        }
        catches.push({ types, body: this.parseBlock() });
      } else if (keyword === 'finally') {
        this.take('argument');
        finallyBody = this.parseBlock();
        break;
      } else {
        this.pos = saved;
        break;
      }
    }
    if (catches.length === 0 && !finallyBody) throw new PowerShellParseError('The Try statement is missing its Catch or Finally block.', 'MissingCatchOrFinally', pos);
    return { kind: 'try', body, catches, ...(finallyBody ? { finallyBody } : {}), pos };
  }

  private parseForeach(pos: number): Statement {
    this.expect('lparen', 'expression', "'(' after 'foreach'");
    const variable = this.take();
    if (variable.type !== 'variable') throw new PowerShellParseError('Missing variable name after foreach.', 'MissingVariableNameAfterForeach', variable.pos);
    const inWord = this.take('argument');
    if (inWord.type !== 'word' || inWord.text.toLowerCase() !== 'in') throw new PowerShellParseError("Missing 'in' after variable in foreach loop.", 'MissingInInForeach', inWord.pos);
    const collection = this.parsePipeline();
    this.expect('rparen', 'expression', "closing ')' in foreach");
    return { kind: 'foreach', variable: variable.name, collection, body: this.parseBlock(), pos };
  }

  /** `function Name [(params)] { [param(params)] body }`. */
  private parseFunction(pos: number): Statement {
    const nameToken = this.take('argument');
    if (nameToken.type !== 'word' || !/^[\p{L}_][\p{L}\p{N}_-]*$/u.test(nameToken.text)) throw new PowerShellParseError('Missing name after function keyword.', 'MissingNameAfterKeyword', nameToken.pos);
    let parameters: FunctionParameter[] = [];
    if (this.peek().type === 'lparen') {
      this.take();
      parameters = this.parseParameterList();
    }
    this.skipNewlines();
    this.expect('lbrace', 'expression', "'{' in function definition");
    const saved = this.pos;
    this.skipNewlines();
    const head = this.peek('argument');
    if (head.type === 'word' && head.text.toLowerCase() === 'param') {
      this.pos = head.end;
      this.expect('lparen', 'expression', "'(' after 'param'");
      parameters = this.parseParameterList();
    } else this.pos = saved;
    const body = this.parseStatementList('rbrace');
    this.expect('rbrace', 'expression', "closing '}' in function definition");
    return { kind: 'function', name: nameToken.text, parameters, body, pos };
  }

  /** `[type]$name = default, …)` up to and including the closing parenthesis. */
  private parseParameterList(): FunctionParameter[] {
    const parameters: FunctionParameter[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.peek().type === 'rparen') {
        this.take();
        return parameters;
      }
      const typeName = this.peek().type === 'lbracket' ? this.readTypeName() : undefined;
      const variable = this.take();
      if (variable.type !== 'variable') throw new PowerShellParseError('Missing variable name in parameter list.', 'InvalidFunctionParameter', variable.pos);
      let defaultValue: Expression | undefined;
      const next = this.peek();
      if (next.type === 'assign' && next.text === '=') {
        this.pos = next.end;
        defaultValue = this.parseExpression();
      }
      parameters.push({ name: variable.name, ...(typeName ? { typeName } : {}), ...(defaultValue ? { defaultValue } : {}) });
      this.skipNewlines();
      const separator = this.take();
      if (separator.type === 'rparen') return parameters;
      if (separator.type !== 'comma') throw new PowerShellParseError("Missing ')' in function parameter list.", 'MissingEndParenthesisInFunctionParameterList', separator.pos);
    }
  }

  /** `for (init; condition; step) { … }`, each part optional. */
  private parseFor(pos: number): Statement {
    this.expect('lparen', 'expression', "'(' after 'for'");
    const part = <T>(parse: () => T, closer: 'semi' | 'rparen'): T | undefined => {
      this.skipNewlines();
      const token = this.peek('argument');
      if (token.type === closer) {
        this.pos = token.end;
        return undefined;
      }
      const value = parse();
      this.skipNewlines();
      this.expect(closer, 'expression', closer === 'semi' ? "';' in for statement" : "closing ')' in for statement");
      return value;
    };
    const init = part(() => this.parseStatement(), 'semi');
    const condition = part(() => this.parsePipeline(), 'semi');
    const step = part(() => this.parseStatement(), 'rparen');
    return { kind: 'for', ...(init ? { init } : {}), ...(condition ? { condition } : {}), ...(step ? { step } : {}), body: this.parseBlock(), pos };
  }

  private parsePipeline(): PipelineNode {
    const first = this.peek('argument');
    const elements: PipelineElement[] = [this.parsePipelineElement()];
    for (;;) {
      const token = this.peek('argument');
      if (token.type !== 'pipe') break;
      this.pos = token.end;
      this.skipNewlines();
      const next = this.peek('argument');
      if (next.type === 'eof' || next.type === 'semi' || next.type === 'pipe') throw new PowerShellParseError('An empty pipe element is not allowed.', 'EmptyPipeElement', next.pos);
      elements.push(this.parsePipelineElement());
    }
    return { kind: 'pipeline', elements, pos: first.pos };
  }

  private parsePipelineElement(): PipelineElement {
    const token = this.peek('argument');
    if (token.type === 'amp') {
      this.pos = token.end;
      const name = this.parsePostfix(this.parsePrimary());
      return this.parseCommandArguments(name, token.pos);
    }
    // A bare word starting like a name is a command; a number, `1..5` or `!x` start an expression.
    if (token.type === 'word' && parseNumberLiteral(token.text) === undefined && /^[\p{L}_\\%?]/u.test(token.text)) {
      this.pos = token.end;
      return this.parseCommandArguments(token.text, token.pos);
    }
    const expression = this.parseExpression();
    return { kind: 'expression', expression, pos: token.pos };
  }

  private parseCommandArguments(name: string | Expression, pos: number): CommandNode {
    const args: CommandArgument[] = [];
    const redirections: Redirection[] = [];
    for (;;) {
      const token = this.peek('argument');
      if (['newline', 'semi', 'pipe', 'rparen', 'rbrace', 'eof'].includes(token.type)) break;
      if (token.type === 'redirection') {
        this.pos = token.end;
        const source = /^[*1-6]/.test(token.text) ? token.text[0]! : '1';
        const stream = source === '1' ? 'output' : source === '2' ? 'error' : source === '*' ? 'all' : 'other';
        if (token.text.includes('&')) {
          redirections.push({ stream, target: 'merge', append: false });
        } else {
          redirections.push({ stream, target: this.parseSingleArgument(), append: token.text.includes('>>') });
        }
        continue;
      }
      if (token.type === 'parameter') {
        this.pos = token.end;
        if (token.colon) {
          args.push({ kind: 'parameter', name: token.name, value: this.parseArgumentValue(), text: token.text });
        } else {
          args.push({ kind: 'parameter', name: token.name, text: token.text });
        }
        continue;
      }
      args.push({ kind: 'positional', value: this.parseArgumentValue() });
    }
    return { kind: 'command', name, arguments: args, pos, text: this.source.slice(pos, this.pos).trim(), redirections };
  }

  /** One command argument: a bare word, a literal, a variable (with member access) or a comma list of them. */
  private parseArgumentValue(): Expression {
    const items: Expression[] = [this.parseSingleArgument()];
    for (;;) {
      const token = this.peek('argument');
      if (token.type !== 'comma') break;
      this.pos = token.end;
      this.skipNewlines();
      items.push(this.parseSingleArgument());
    }
    return items.length === 1 ? items[0]! : { kind: 'array', items };
  }

  private parseSingleArgument(): Expression {
    const token = this.peek('argument');
    if (token.type === 'word') {
      this.pos = token.end;
      const number = parseNumberLiteral(token.text);
      if (number !== undefined) return { kind: 'constant', value: number };
      return { kind: 'constant', value: token.text };
    }
    if (token.type === 'lbracket') return this.parseUnary();
    if (token.type === 'parameter') {
      // A dash word after a parameter that expects a value (e.g. `-Name -foo`) is a string in PowerShell.
      this.pos = token.end;
      return { kind: 'constant', value: token.text + (token.colon ? ':' : '') };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  parseExpression(): Expression {
    this.enter(this.pos);
    let left = this.parseComparison();
    for (;;) {
      const token = this.peek();
      if (token.type !== 'operator' || !LOGICAL.has(token.text)) break;
      this.pos = token.end;
      this.skipNewlines();
      left = { kind: 'binary', operator: token.text, left, right: this.parseComparison() };
    }
    this.leave();
    return left;
  }

  private parseComparison(): Expression {
    let left = this.parseAdditive();
    for (;;) {
      const token = this.peek();
      if (token.type !== 'operator' || !COMPARISON.test(token.text)) break;
      this.pos = token.end;
      this.skipNewlines();
      left = { kind: 'binary', operator: token.text, left, right: this.parseAdditive() };
    }
    return left;
  }

  private parseAdditive(): Expression {
    let left = this.parseMultiplicative();
    for (;;) {
      const token = this.peek();
      if (token.type !== 'operator' || (token.text !== '+' && token.text !== '-')) break;
      this.pos = token.end;
      this.skipNewlines();
      left = { kind: 'binary', operator: token.text, left, right: this.parseMultiplicative() };
    }
    return left;
  }

  private parseMultiplicative(): Expression {
    let left = this.parseFormat();
    for (;;) {
      const token = this.peek();
      if (token.type !== 'operator' || !['*', '/', '%'].includes(token.text)) break;
      this.pos = token.end;
      this.skipNewlines();
      left = { kind: 'binary', operator: token.text, left, right: this.parseFormat() };
    }
    return left;
  }

  private parseFormat(): Expression {
    let left = this.parseRange();
    for (;;) {
      const token = this.peek();
      if (token.type !== 'operator' || token.text !== '-f') break;
      this.pos = token.end;
      this.skipNewlines();
      left = { kind: 'binary', operator: '-f', left, right: this.parseRange() };
    }
    return left;
  }

  private parseRange(): Expression {
    let left = this.parseUnary();
    const token = this.peek();
    if (token.type === 'operator' && token.text === '..') {
      this.pos = token.end;
      this.skipNewlines();
      left = { kind: 'binary', operator: '..', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): Expression {
    const token = this.peek();
    if (token.type === 'operator' && ['-not', '!', '-', '+', '-bnot', '-split', '-join'].includes(token.text)) {
      this.pos = token.end;
      this.enter(token.pos);
      const operand = this.parseUnary();
      this.leave();
      return { kind: 'unary', operator: token.text, operand };
    }
    if (token.type === 'comma') {
      this.pos = token.end;
      return { kind: 'array', items: [this.parseUnary()] };
    }
    return this.parseComma();
  }

  private parseComma(): Expression {
    const first = this.parseCast();
    if (!this.commaAllowed) return first;
    const items = [first];
    for (;;) {
      const token = this.peek();
      if (token.type !== 'comma') break;
      this.pos = token.end;
      this.skipNewlines();
      items.push(this.parseCast());
    }
    return items.length === 1 ? first : { kind: 'array', items };
  }

  private readTypeName(): string {
    const open = this.expect('lbracket', 'expression', "'['");
    let depth = 1;
    let i = open.end;
    while (i < this.source.length && depth > 0) {
      if (this.source[i] === '[') depth++;
      else if (this.source[i] === ']') depth--;
      else if (this.source[i] === '\n') break;
      i++;
    }
    if (depth !== 0) throw new PowerShellParseError("Missing ']' at end of type token.", 'EndSquareBracketExpectedAtEndOfType', open.pos);
    const name = this.source.slice(open.end, i - 1).trim();
    if (!/^[\w.`[\], ]+$/.test(name)) throw new PowerShellParseError(`Unable to find type [${name}].`, 'TypeNotFound', open.pos);
    this.pos = i;
    return name;
  }

  private parseCast(): Expression {
    const token = this.peek();
    if (token.type !== 'lbracket') return this.parsePostfix(this.parsePrimary());
    this.enter(token.pos);
    const typeName = this.readTypeName();
    const next = this.peek();
    let result: Expression;
    if (next.type === 'coloncolon' || next.type === 'dot') {
      result = this.parsePostfix({ kind: 'type', typeName });
    } else if (['variable', 'number', 'string', 'expandable', 'lparen', 'dollarparen', 'atparen', 'atbrace', 'lbracket', 'lbrace'].includes(next.type) || (next.type === 'operator' && next.text === '-')) {
      result = { kind: 'cast', typeName, operand: next.type === 'operator' ? this.parseUnary() : this.parseCast() };
    } else {
      result = { kind: 'type', typeName };
    }
    this.leave();
    return result;
  }

  /** Member access, method calls and indexing, which bind only without whitespace before them. */
  private parsePostfix(target: Expression): Expression {
    let result = target;
    for (;;) {
      // Member access and indexing must touch the operand; look at the raw character before tokenizing.
      const ch = this.source[this.pos];
      if (ch !== '.' && ch !== ':' && ch !== '[') break;
      if (ch === '.' && this.source[this.pos + 1] === '.') break;
      const token = this.peek();
      if (token.type === 'dot' || token.type === 'coloncolon') {
        this.pos = token.end;
        const member = this.parseMemberName();
        const isStatic = token.type === 'coloncolon';
        if (this.source[this.pos] === '(') {
          this.pos += 1;
          result = { kind: 'invoke', target: result, member, isStatic, arguments: this.parseMethodArguments() };
        } else {
          result = { kind: 'member', target: result, member, isStatic };
        }
        continue;
      }
      if (token.type === 'lbracket') {
        this.pos = token.end;
        this.skipNewlines();
        const index = this.parseExpression();
        this.skipNewlines();
        this.expect('rbracket', 'expression', "closing ']' in index");
        result = { kind: 'index', target: result, index };
        continue;
      }
      break;
    }
    return result;
  }

  private parseMemberName(): Expression {
    const start = this.pos;
    const token = this.peek();
    if (token.type === 'variable' || token.type === 'string' || token.type === 'expandable' || token.type === 'lparen') return this.parsePrimary();
    let end = start;
    while (end < this.source.length && /[\p{L}\p{N}_]/u.test(this.source[end]!)) end++;
    if (end === start) throw new PowerShellParseError('Missing property name after reference operator.', 'MissingPropertyName', start);
    this.pos = end;
    return { kind: 'constant', value: this.source.slice(start, end) };
  }

  private parseMethodArguments(): Expression[] {
    const args: Expression[] = [];
    this.skipNewlines();
    if (this.peek().type === 'rparen') {
      this.take();
      return args;
    }
    for (;;) {
      this.skipNewlines();
      args.push(this.parseMethodArgument());
      this.skipNewlines();
      const token = this.take();
      if (token.type === 'rparen') return args;
      if (token.type !== 'comma') throw new PowerShellParseError("Missing ')' in method call.", 'MissingEndParenthesisInMethodCall', token.pos);
    }
  }

  /** A method argument is a full expression without the comma operator (commas separate arguments). */
  private parseMethodArgument(): Expression {
    const saved = this.commaAllowed;
    this.commaAllowed = false;
    try {
      return this.parseExpression();
    } finally {
      this.commaAllowed = saved;
    }
  }

  private parsePrimary(): Expression {
    const saved = this.commaAllowed;
    this.commaAllowed = true;
    try {
      return this.parsePrimaryToken();
    } finally {
      this.commaAllowed = saved;
    }
  }

  private parsePrimaryToken(): Expression {
    const token = this.take();
    switch (token.type) {
      case 'number':
        return { kind: 'constant', value: token.value };
      case 'string':
        return { kind: 'constant', value: token.value };
      case 'expandable':
        return token.parts.every((part) => typeof part === 'string') ? { kind: 'constant', value: token.parts.join('') } : { kind: 'expandable', parts: token.parts };
      case 'variable':
        return { kind: 'variable', name: token.name };
      case 'dollarparen': {
        const body = this.parseStatementList('rparen');
        this.expect('rparen', 'expression', "closing ')' in subexpression");
        return { kind: 'subexpression', body };
      }
      case 'atparen': {
        const body = this.parseStatementList('rparen');
        this.expect('rparen', 'expression', "closing ')' in array subexpression");
        return { kind: 'arraySubexpression', body };
      }
      case 'atbrace':
        return this.parseHashtable(token.pos);
      case 'lparen': {
        this.enter(token.pos);
        this.skipNewlines();
        const statement = this.parseStatement();
        this.skipNewlines();
        this.expect('rparen', 'expression', "closing ')' in expression");
        this.leave();
        return { kind: 'paren', statement };
      }
      case 'lbrace': {
        const body = this.parseStatementList('rbrace');
        const close = this.expect('rbrace', 'expression', "closing '}' in script block");
        return { kind: 'scriptblock', block: { kind: 'scriptblock', body }, text: this.source.slice(token.end, close.pos) };
      }
      case 'lbracket':
        this.pos = token.pos;
        return this.parseCast();
      default: {
        const text = this.source.slice(token.pos, Math.min(token.end, token.pos + 40)) || 'end of input';
        if (token.type === 'eof') throw new PowerShellParseError('You must provide a value expression following this operator.', 'ExpectedValueExpression', token.pos);
        throw new PowerShellParseError(`Unexpected token '${text}' in expression or statement.`, 'UnexpectedToken', token.pos);
      }
    }
  }

  private parseHashtable(pos: number): Expression {
    this.enter(pos);
    const entries: Array<{ key: Expression; value: Statement }> = [];
    for (;;) {
      const token = this.peek('argument');
      if (token.type === 'newline' || token.type === 'semi') {
        this.pos = token.end;
        continue;
      }
      if (token.type === 'rbrace') {
        this.pos = token.end;
        break;
      }
      if (token.type === 'eof') throw new PowerShellParseError("Missing closing '}' in hash literal.", 'MissingEndCurlyBrace', pos);
      let key: Expression;
      const keyToken = this.peek();
      if (keyToken.type === 'word') {
        this.pos = keyToken.end;
        key = { kind: 'constant', value: keyToken.text };
      } else if (keyToken.type === 'number') {
        this.pos = keyToken.end;
        key = { kind: 'constant', value: keyToken.value };
      } else {
        key = this.parsePrimary();
      }
      const equals = this.take();
      if (equals.type !== 'assign' || equals.text !== '=') throw new PowerShellParseError("Missing '=' operator after key in hash literal.", 'MissingEqualsInHashLiteral', equals.pos);
      this.skipNewlines();
      entries.push({ key, value: this.parseStatement() });
      const after = this.peek('argument');
      if (!['newline', 'semi', 'rbrace'].includes(after.type)) throw new PowerShellParseError('Missing statement after \'=\' in hash literal.', 'MissingStatementInHashLiteral', after.pos);
    }
    this.leave();
    return { kind: 'hashtable', entries };
  }
}
