/**
 * The tokenizer. PowerShell tokenizes differently in expression mode (`1 + $x`, `-eq` is an operator) and in
 * argument mode (`Get-VM -Name vm1`: `-Name` is a parameter, `vm1` a bare string), so the parser asks for
 * the next token in the mode it is in. Strings are decoded here: single-quoted strings are literal (a quote
 * character doubled is one quote), double-quoted strings are split into literal text, `$variable` and
 * `$(subexpression)` parts that the evaluator expands.
 */
import type { StatementList, StringPart } from './ast.ts';
import { PowerShellParseError } from './errors.ts';

export type LexMode = 'expression' | 'argument';

export type Token =
  | { type: 'eof' | 'newline' | 'semi' | 'pipe' | 'lparen' | 'rparen' | 'lbrace' | 'rbrace' | 'lbracket' | 'rbracket' | 'comma' | 'dot' | 'coloncolon' | 'atparen' | 'atbrace' | 'dollarparen' | 'amp'; pos: number; end: number; spaceBefore: boolean }
  | { type: 'assign'; text: '=' | '+=' | '-='; pos: number; end: number; spaceBefore: boolean }
  | { type: 'operator'; text: string; pos: number; end: number; spaceBefore: boolean }
  | { type: 'variable'; name: string; pos: number; end: number; spaceBefore: boolean }
  | { type: 'number'; value: number; pos: number; end: number; spaceBefore: boolean }
  | { type: 'string'; value: string; pos: number; end: number; spaceBefore: boolean }
  | { type: 'expandable'; parts: StringPart[]; pos: number; end: number; spaceBefore: boolean }
  | { type: 'parameter'; name: string; colon: boolean; text: string; pos: number; end: number; spaceBefore: boolean }
  | { type: 'word'; text: string; pos: number; end: number; spaceBefore: boolean }
  | { type: 'redirection'; text: string; pos: number; end: number; spaceBefore: boolean };

/** PowerShell accepts the Unicode quotation marks as quotes (its tokenizer's IsSingleQuote/IsDoubleQuote). */
export const SINGLE_QUOTES = new Set(["'", '\u2018', '\u2019', '\u201a', '\u201b']);
export const DOUBLE_QUOTES = new Set(['"', '\u201c', '\u201d', '\u201e']);
const DASHES = new Set(['-', '\u2013', '\u2014', '\u2015']);

const EXPRESSION_OPERATORS = new Set([
  'eq', 'ne', 'gt', 'ge', 'lt', 'le', 'like', 'notlike', 'match', 'notmatch', 'contains', 'notcontains', 'in', 'notin', 'replace',
  'is', 'isnot', 'as', 'and', 'or', 'xor', 'not', 'band', 'bor', 'bxor', 'bnot', 'f', 'split', 'join',
]);

export function isExpressionOperator(name: string): boolean {
  const lower = name.toLowerCase();
  if (EXPRESSION_OPERATORS.has(lower)) return true;
  return (lower.startsWith('c') || lower.startsWith('i')) && EXPRESSION_OPERATORS.has(lower.slice(1)) && lower.length > 2;
}

const NUMBER_PATTERN = /^(0x[0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(l|d)?(kb|mb|gb|tb|pb)?$/i;
const MULTIPLIERS: Record<string, number> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4, pb: 1024 ** 5 };

/** Parses a PowerShell numeric literal (`42`, `0x1F`, `1.5e3`, `512MB`); undefined when it is not one. */
export function parseNumberLiteral(text: string): number | undefined {
  const match = NUMBER_PATTERN.exec(text);
  if (!match) return undefined;
  const base = match[1]!.toLowerCase().startsWith('0x') ? Number.parseInt(match[1]!.slice(2), 16) : Number(match[1]);
  const multiplier = match[3] ? MULTIPLIERS[match[3].toLowerCase()]! : 1;
  return base * multiplier;
}

function isIdentifierChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}_]/u.test(ch);
}

function isVariableChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}_?]/u.test(ch);
}

const ARGUMENT_DELIMITERS = new Set([' ', '\t', '\r', '\n', ';', '|', '(', ')', '{', '}', ',', '\f', '\v', '\u00a0']);

export type SubexpressionParser = (pos: number) => { body: StatementList; end: number };

export class Lexer {
  constructor(
    readonly source: string,
    private readonly parseSubexpression: SubexpressionParser,
  ) {}

  /** Skips blanks, comments and line continuations; returns the position of the next token. */
  skipTrivia(pos: number): number {
    const src = this.source;
    let i = pos;
    for (;;) {
      const ch = src[i];
      if (ch === ' ' || ch === '\t' || ch === '\f' || ch === '\v' || ch === '\u00a0') i++;
      else if (ch === '`' && (src[i + 1] === '\n' || (src[i + 1] === '\r' && src[i + 2] === '\n'))) i += src[i + 1] === '\r' ? 3 : 2;
      else if (ch === '<' && src[i + 1] === '#') {
        const close = src.indexOf('#>', i + 2);
        if (close < 0) throw new PowerShellParseError('Missing closing \'#>\' at end of comment block.', 'MissingEndOfComment', i);
        i = close + 2;
      } else if (ch === '#') {
        while (i < src.length && src[i] !== '\n' && src[i] !== '\r') i++;
      } else return i;
    }
  }

  scan(start: number, mode: LexMode): Token {
    const src = this.source;
    const pos = this.skipTrivia(start);
    const spaceBefore = pos > start;
    const ch = src[pos];
    const simple = <T extends Token['type']>(type: T, length: number) => ({ type, pos, end: pos + length, spaceBefore }) as Extract<Token, { type: T }>;
    if (ch === undefined) return simple('eof', 0);
    if (ch === '\n') return simple('newline', 1);
    if (ch === '\r') return simple('newline', src[pos + 1] === '\n' ? 2 : 1);
    if (ch === ';') return simple('semi', 1);
    if (ch === '|') {
      if (src[pos + 1] === '|') throw new PowerShellParseError("The token '||' is not a valid statement separator in this version.", 'InvalidEndOfLine', pos);
      return simple('pipe', 1);
    }
    if (ch === '(') return simple('lparen', 1);
    if (ch === ')') return simple('rparen', 1);
    if (ch === '{') return simple('lbrace', 1);
    if (ch === '}') return simple('rbrace', 1);
    if (ch === ',') return simple('comma', 1);
    if (ch === '@' && src[pos + 1] === '(') return simple('atparen', 2);
    if (ch === '@' && src[pos + 1] === '{') return simple('atbrace', 2);
    if (ch === '@' && (SINGLE_QUOTES.has(src[pos + 1] ?? '') || DOUBLE_QUOTES.has(src[pos + 1] ?? ''))) return this.scanHereString(pos, spaceBefore);
    if (ch === '$') return this.scanDollar(pos, spaceBefore);
    if (SINGLE_QUOTES.has(ch)) {
      const { value, end } = this.scanSingleQuoted(pos);
      return { type: 'string', value, pos, end, spaceBefore };
    }
    if (DOUBLE_QUOTES.has(ch)) {
      const { parts, end } = this.scanDoubleQuoted(pos + 1, (c) => DOUBLE_QUOTES.has(c));
      return { type: 'expandable', parts, pos, end, spaceBefore };
    }
    if (ch === '&' && src[pos + 1] !== '&') return simple('amp', 1);
    if (ch === '&') throw new PowerShellParseError("The token '&&' is not a valid statement separator in this version.", 'InvalidEndOfLine', pos);
    const redirection = /^(?:[*1-6]?>>?(?:&[12])?)/.exec(src.slice(pos, pos + 5));
    if (redirection && (ch === '>' || src[pos + 1] === '>')) {
      return { type: 'redirection', text: redirection[0], pos, end: pos + redirection[0].length, spaceBefore };
    }
    return mode === 'argument' ? this.scanArgument(pos, spaceBefore) : this.scanExpression(pos, spaceBefore);
  }

  private scanExpression(pos: number, spaceBefore: boolean): Token {
    const src = this.source;
    const ch = src[pos]!;
    const next = src[pos + 1];
    if (ch === '[') return { type: 'lbracket', pos, end: pos + 1, spaceBefore };
    if (ch === ']') return { type: 'rbracket', pos, end: pos + 1, spaceBefore };
    if (ch === ':' && next === ':') return { type: 'coloncolon', pos, end: pos + 2, spaceBefore };
    if (ch === '.' && next === '.') return { type: 'operator', text: '..', pos, end: pos + 2, spaceBefore };
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(next ?? ''))) {
      let end = pos;
      while (end < src.length && /[0-9a-zA-Z.]/.test(src[end]!)) {
        if (src[end] === '.' && src[end + 1] === '.') break;
        if ((src[end] === 'e' || src[end] === 'E') && (src[end + 1] === '-' || src[end + 1] === '+') && !src.slice(pos, end).toLowerCase().startsWith('0x')) end += 2;
        else end++;
      }
      const text = src.slice(pos, end);
      const value = parseNumberLiteral(text);
      if (value === undefined) throw new PowerShellParseError(`Unexpected token '${text}' in expression or statement.`, 'UnexpectedToken', pos);
      return { type: 'number', value, pos, end, spaceBefore };
    }
    if (ch === '.') return { type: 'dot', pos, end: pos + 1, spaceBefore };
    if (ch === '=') {
      if (next === '=') throw new PowerShellParseError("The '==' operator is not supported; use '-eq'.", 'UnexpectedToken', pos);
      return { type: 'assign', text: '=', pos, end: pos + 1, spaceBefore };
    }
    if ((ch === '+' || DASHES.has(ch)) && next === '=') return { type: 'assign', text: ch === '+' ? '+=' : '-=', pos, end: pos + 2, spaceBefore };
    if (DASHES.has(ch) && next !== undefined && /[a-zA-Z]/.test(next)) {
      let end = pos + 1;
      while (isIdentifierChar(src[end])) end++;
      const name = src.slice(pos + 1, end);
      if (!isExpressionOperator(name)) throw new PowerShellParseError(`Unexpected token '-${name}' in expression or statement.`, 'UnexpectedToken', pos);
      return { type: 'operator', text: `-${name.toLowerCase()}`, pos, end, spaceBefore };
    }
    if (ch === '+' || DASHES.has(ch) || ch === '*' || ch === '/' || ch === '%' || ch === '!') {
      return { type: 'operator', text: DASHES.has(ch) ? '-' : ch, pos, end: pos + 1, spaceBefore };
    }
    if (isIdentifierChar(ch)) {
      let end = pos;
      while (isIdentifierChar(src[end]) || (src[end] === '-' && isIdentifierChar(src[end + 1]))) end++;
      return { type: 'word', text: src.slice(pos, end), pos, end, spaceBefore };
    }
    throw new PowerShellParseError(`Unexpected token '${ch}' in expression or statement.`, 'UnexpectedToken', pos);
  }

  private scanArgument(pos: number, spaceBefore: boolean): Token {
    const src = this.source;
    const ch = src[pos]!;
    const next = src[pos + 1];
    if (DASHES.has(ch) && next !== undefined && (/[\p{L}_?]/u.test(next))) {
      let end = pos + 1;
      while (end < src.length && !ARGUMENT_DELIMITERS.has(src[end]!) && src[end] !== ':') end++;
      const name = src.slice(pos + 1, end);
      const colon = src[end] === ':';
      return { type: 'parameter', name, colon, text: src.slice(pos, end), pos, end: colon ? end + 1 : end, spaceBefore };
    }
    if (ch === '[') return { type: 'lbracket', pos, end: pos + 1, spaceBefore };
    let end = pos;
    let text = '';
    while (end < src.length && !ARGUMENT_DELIMITERS.has(src[end]!)) {
      const c = src[end]!;
      if (c === '`' && end + 1 < src.length) {
        text += src[end + 1];
        end += 2;
        continue;
      }
      if ((SINGLE_QUOTES.has(c) || DOUBLE_QUOTES.has(c) || c === '$') && end > pos) break;
      text += c;
      end++;
    }
    if (end === pos) throw new PowerShellParseError(`Unexpected token '${ch}' in expression or statement.`, 'UnexpectedToken', pos);
    return { type: 'word', text, pos, end, spaceBefore };
  }

  private scanDollar(pos: number, spaceBefore: boolean): Token {
    const src = this.source;
    const next = src[pos + 1];
    if (next === '(') return { type: 'dollarparen', pos, end: pos + 2, spaceBefore };
    if (next === '{') {
      const close = src.indexOf('}', pos + 2);
      if (close < 0) throw new PowerShellParseError('Missing closing \'}\' in statement block or type definition.', 'MissingEndCurlyBrace', pos);
      return { type: 'variable', name: src.slice(pos + 2, close), pos, end: close + 1, spaceBefore };
    }
    if (next === '?' || next === '$' || next === '^') return { type: 'variable', name: next, pos, end: pos + 2, spaceBefore };
    const { name, end } = this.readVariableName(pos + 1);
    if (name === '') return { type: 'word', text: '$', pos, end: pos + 1, spaceBefore };
    return { type: 'variable', name, pos, end, spaceBefore };
  }

  /** Reads `name` or `scope:name` (e.g. `env:COMPUTERNAME`) starting at pos. */
  private readVariableName(pos: number): { name: string; end: number } {
    const src = this.source;
    let end = pos;
    while (isIdentifierChar(src[end])) end++;
    if (src[end] === ':' && src[end + 1] !== ':' && end > pos && isVariableChar(src[end + 1])) {
      end++;
      while (isIdentifierChar(src[end])) end++;
    }
    return { name: src.slice(pos, end), end };
  }

  scanSingleQuoted(pos: number): { value: string; end: number } {
    const src = this.source;
    let value = '';
    let i = pos + 1;
    for (;;) {
      const c = src[i];
      if (c === undefined) throw new PowerShellParseError('The string is missing the terminator: \'.', 'TerminatorExpectedAtEndOfString', pos);
      if (SINGLE_QUOTES.has(c)) {
        if (SINGLE_QUOTES.has(src[i + 1] ?? '')) {
          value += c;
          i += 2;
          continue;
        }
        return { value, end: i + 1 };
      }
      value += c;
      i++;
    }
  }

  /** Reads a double-quoted body from `start` (after the opening quote) up to the closing quote. */
  scanDoubleQuoted(start: number, isClose: (c: string) => boolean, hereString = false): { parts: StringPart[]; end: number } {
    const src = this.source;
    const parts: StringPart[] = [];
    let text = '';
    let i = start;
    const flush = () => {
      if (text !== '') parts.push(text);
      text = '';
    };
    for (;;) {
      const c = src[i];
      if (c === undefined) throw new PowerShellParseError('The string is missing the terminator: ".', 'TerminatorExpectedAtEndOfString', start - 1);
      if (hereString ? c === '\n' && isClose(src.slice(i + 1, i + 3)) : isClose(c)) {
        if (!hereString && isClose(src[i + 1] ?? '')) {
          text += c;
          i += 2;
          continue;
        }
        flush();
        return { parts, end: hereString ? i + 3 : i + 1 };
      }
      if (c === '`' && src[i + 1] !== undefined) {
        const escaped = src[i + 1]!;
        const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v', e: '\x1b' };
        if (escaped === 'u' && src[i + 2] === '{') {
          const close = src.indexOf('}', i + 3);
          const code = Number.parseInt(src.slice(i + 3, close), 16);
          if (close < 0 || Number.isNaN(code) || code > 0x10ffff) throw new PowerShellParseError('The Unicode escape sequence is not valid.', 'InvalidUnicodeEscapeSequence', i);
          text += String.fromCodePoint(code);
          i = close + 1;
          continue;
        }
        text += map[escaped] ?? escaped;
        i += 2;
        continue;
      }
      if (c === '$') {
        const next = src[i + 1];
        if (next === '(') {
          flush();
          const { body, end } = this.parseSubexpression(i + 2);
          parts.push({ kind: 'subexpression', body });
          i = end;
          continue;
        }
        if (next === '{') {
          const close = src.indexOf('}', i + 2);
          if (close < 0) throw new PowerShellParseError('Missing closing \'}\'.', 'MissingEndCurlyBrace', i);
          flush();
          parts.push({ kind: 'variable', name: src.slice(i + 2, close) });
          i = close + 1;
          continue;
        }
        if (next === '?' || next === '$' || next === '^') {
          flush();
          parts.push({ kind: 'variable', name: next });
          i += 2;
          continue;
        }
        const { name, end } = this.readVariableName(i + 1);
        if (name !== '') {
          flush();
          parts.push({ kind: 'variable', name });
          i = end;
          continue;
        }
      }
      text += c;
      i++;
    }
  }

  private scanHereString(pos: number, spaceBefore: boolean): Token {
    const src = this.source;
    const quote = src[pos + 1]!;
    const lineEnd = src.slice(pos + 2).search(/\S|\n/);
    const afterHeader = pos + 2 + (lineEnd < 0 ? 0 : lineEnd);
    if (src[afterHeader] !== '\n' && !(src[afterHeader] === '\r' && src[afterHeader + 1] === '\n')) {
      throw new PowerShellParseError('No characters are allowed after a here-string header but before the end of the line.', 'UnexpectedCharactersAfterHereStringHeader', pos);
    }
    const bodyStart = afterHeader + (src[afterHeader] === '\r' ? 2 : 1);
    if (SINGLE_QUOTES.has(quote)) {
      const closeMatch = /\r?\n['\u2018\u2019\u201a\u201b]@/.exec(src.slice(bodyStart - 1));
      if (!closeMatch) throw new PowerShellParseError('The string is missing the terminator: \'@.', 'TerminatorExpectedAtEndOfString', pos);
      const closeAt = bodyStart - 1 + closeMatch.index;
      const value = closeAt < bodyStart ? '' : src.slice(bodyStart, closeAt).replace(/\r\n/g, '\n');
      return { type: 'string', value, pos, end: closeAt + closeMatch[0].length, spaceBefore };
    }
    if (src.slice(bodyStart - 1).search(/\n["\u201c\u201d\u201e]@/) < 0) throw new PowerShellParseError('The string is missing the terminator: "@.', 'TerminatorExpectedAtEndOfString', pos);
    const { parts, end } = this.scanDoubleQuoted(bodyStart, (pair) => DOUBLE_QUOTES.has(pair[0] ?? '') && pair[1] === '@', true);
    const cleaned = parts.map((part) => (typeof part === 'string' ? part.replace(/\r\n/g, '\n') : part));
    const last = cleaned[cleaned.length - 1];
    if (typeof last === 'string') cleaned[cleaned.length - 1] = last.replace(/\r$/, '');
    return { type: 'expandable', parts: cleaned, pos, end, spaceBefore };
  }
}
