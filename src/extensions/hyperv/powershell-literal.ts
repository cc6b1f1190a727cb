/**
 * Safe PowerShell generation. Scripts are built only with the `ps` template tag, which accepts nothing but
 * values already encoded for PowerShell: a `PsCode` (another template, or a literal from `psString`), a safe
 * integer or a boolean. A plain string in a template is a type error and, should one slip through, a runtime
 * error. `psString` emits a single-quoted literal: inside single quotes PowerShell expands nothing (`$`,
 * backticks and double quotes are plain characters) and the only special characters are the quote
 * characters themselves — ASCII `'` and the Unicode ‘ ’ ‚ ‛ that PowerShell's tokenizer also treats as single
 * quotes — each of which is escaped by doubling.
 */

export class PsCode {
  /** Use `ps` or `psString` to make one; the constructor is for this module only. */
  constructor(
    readonly text: string,
    brand: typeof PS_CODE_BRAND,
  ) {
    if (brand !== PS_CODE_BRAND) throw new Error('PsCode can only be built by the powershell-literal module');
  }
  toString(): string {
    return this.text;
  }
}

const PS_CODE_BRAND = Symbol('PsCode');

/** Every character PowerShell's tokenizer accepts as a single quote. */
const SINGLE_QUOTE_CHARACTERS = /['\u2018\u2019\u201a\u201b]/g;

/** Characters no value of ours may contain: C0/C1 controls (newlines included), NUL, and line/paragraph separators. */
export function hasControlCharacters(value: string): boolean {
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) return true;
  }
  return false;
}

export class UnsafeValueError extends Error {
  override readonly name = 'UnsafeValueError';
}

/** A single-quoted PowerShell string literal for any text without control characters. */
export function psString(value: string): PsCode {
  if (hasControlCharacters(value)) throw new UnsafeValueError('A value passed to PowerShell contains control characters');
  return new PsCode(`'${value.replace(SINGLE_QUOTE_CHARACTERS, '$&$&')}'`, PS_CODE_BRAND);
}

/** An integer literal; only safe integers (no exponent, no fraction) are accepted. */
export function psInteger(value: number): PsCode {
  if (!Number.isSafeInteger(value)) throw new UnsafeValueError(`Not an integer: ${value}`);
  return new PsCode(String(value), PS_CODE_BRAND);
}

export function psBoolean(value: boolean): PsCode {
  return new PsCode(value ? '$true' : '$false', PS_CODE_BRAND);
}

/** An array literal `@('a','b')` of string literals. */
export function psStringArray(values: readonly string[]): PsCode {
  return new PsCode(`@(${values.map((value) => psString(value).text).join(',')})`, PS_CODE_BRAND);
}

export type PsValue = PsCode | number | boolean | readonly PsCode[];

function encode(value: unknown): string {
  if (value instanceof PsCode) return value.text;
  if (typeof value === 'number') return psInteger(value).text;
  if (typeof value === 'boolean') return psBoolean(value).text;
  if (Array.isArray(value) && value.every((item) => item instanceof PsCode)) return value.map((item: PsCode) => item.text).join('\n');
  // A raw string here would be spliced into code unescaped: refuse it.
  throw new UnsafeValueError(`Refusing to interpolate a raw ${typeof value} into PowerShell; wrap it with psString()`);
}

/** Template tag for PowerShell code: interpolations must be PsCode, integers, booleans or lists of PsCode. */
export function ps(strings: TemplateStringsArray, ...values: PsValue[]): PsCode {
  let text = strings[0] ?? '';
  values.forEach((value, index) => {
    text += encode(value) + (strings[index + 1] ?? '');
  });
  return new PsCode(text, PS_CODE_BRAND);
}

/** Joins script fragments, one per line. */
export function psLines(fragments: readonly PsCode[]): PsCode {
  return new PsCode(fragments.map((fragment) => fragment.text).join('\n'), PS_CODE_BRAND);
}
