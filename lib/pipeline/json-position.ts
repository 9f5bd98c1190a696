/**
 * Where JSON text stops being JSON. Node's JSON.parse messages differ between versions
 * (some name no position at all), so the offset of the first error is found here with a
 * small strict scanner (RFC 8259) and turned into a 1-based line and column.
 */

/** Thrown inside the scanner: the offset of the first character that cannot be JSON. */
class JsonStop {
  constructor(readonly offset: number, readonly what: string) {}
}

/** The offset and a short reason of the first syntax error, or undefined for valid JSON. */
export function jsonErrorOffset(text: string): { offset: number; what: string } | undefined {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const fail = (what: string): never => {
    throw new JsonStop(i, i >= text.length ? `unexpected end of text (${what})` : `unexpected ${JSON.stringify(text[i])} (${what})`);
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail(`expected ${JSON.stringify(word)}`);
      i++;
    }
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) fail('control character in a string');
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e === 'u') {
          i++;
          for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail('expected 4 hex digits after \\u');
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail('invalid escape');
      }
      i++;
    }
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text[i] ?? '')) fail('expected a digit');
    while (/[0-9]/.test(text[i] ?? '')) i++;
  };
  const number = (): void => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  // Iterative over an explicit stack: a deeply nested file must not overflow the call stack.
  const stack: ('{' | '[')[] = [];
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    fail('expected a value');
  };
  try {
    for (;;) {
      ws();
      // Opening brackets push; a value completes; then close or continue the innermost container.
      const c = text[i];
      if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        ws();
        if (c === '{' && text[i] === '}') i++;
        else if (c === '[' && text[i] === ']') i++;
        else {
          if (c === '{') {
            if (text[i] !== '"') fail('expected a double-quoted property name');
            string();
            ws();
            if (text[i] !== ':') fail("expected ':'");
            i++;
          }
          continue;
        }
        stack.pop();
      } else {
        value();
      }
      // After a complete value: close containers or move to the next element.
      for (;;) {
        ws();
        const top = stack[stack.length - 1];
        if (top === undefined) {
          if (i < text.length) fail('expected the end of the text');
          return undefined;
        }
        const close = top === '{' ? '}' : ']';
        if (text[i] === close) {
          stack.pop();
          i++;
          continue;
        }
        if (text[i] !== ',') fail(`expected ',' or '${close}'`);
        i++;
        ws();
        if (top === '{') {
          if (text[i] !== '"') fail('expected a double-quoted property name');
          string();
          ws();
          if (text[i] !== ':') fail("expected ':'");
          i++;
        }
        break;
      }
    }
  } catch (stop) {
    if (stop instanceof JsonStop) return { offset: stop.offset, what: stop.what };
    throw stop;
  }
}

/** 1-based line and column (in UTF-16 code units, as editors count) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      start = k + 1;
    }
  }
  return { line, column: offset - start + 1 };
}
