import express, { type RequestHandler } from 'express';

/** body-parser's `type` for a body refused by jsonShapeProblem (mapped to 400 by the error handler). */
export const JSON_SHAPE = 'entity.shape.refused';

/** Deeper than this no request of ours goes (a structured query is 4 levels). */
export const MAX_JSON_DEPTH = 32;

/**
 * Finds what JSON.parse would silently accept but we refuse: an object with the same key
 * twice (parsers disagree on which wins, so a proxy and this API could read different
 * requests), a `__proto__` key (zod drops it from records without a word) and nesting
 * deeper than MAX_JSON_DEPTH. A linear scan with an explicit stack;
 * text that is not JSON is left for JSON.parse to refuse.
 */
export function jsonShapeProblem(text: string): string | null {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          return null;
        }
        if (top.has(key)) return `the key ${JSON.stringify(key)} appears twice in one object`;
        // Harmless to JSON.parse, but some code treats it as the prototype; no request needs it.
        if (key === '__proto__') return 'it has a "__proto__" key';
        top.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      if (stack.length >= MAX_JSON_DEPTH) return `it is nested deeper than ${MAX_JSON_DEPTH} levels`;
      stack.push(c === '{' ? new Set() : null);
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return null;
}

/**
 * The one charset a JSON body may declare. RFC 8259 (section 8.1) requires UTF-8 for JSON
 * exchanged between systems; body-parser would also decode utf-16le/be, utf-32 and utf-7,
 * and the shape checks read the raw bytes as UTF-8, so a body in another charset would
 * reach JSON.parse unchecked (a `__proto__` or a duplicate key spelt in UTF-16 passes
 * unseen). Refusing those charsets with 415 keeps the checks and the parser reading one
 * text; no client of ours sends anything but UTF-8.
 */
const JSON_CHARSET = 'utf-8';

/**
 * express.json with a per-route size limit (413 above it), strict (an object or array at
 * the top), UTF-8 only (415 for any other declared charset, see JSON_CHARSET) and the shape
 * checks above (400). Bodies of other types are left alone for the route's requireJson to
 * answer 415.
 */
export function jsonBody(limit: string): RequestHandler {
  return express.json({
    limit,
    strict: true,
    // `charset` is body-parser's reading of Content-Type (utf-8 when none is declared):
    // exactly the decoder it would use next, so nothing it decodes escapes the checks.
    verify: (_req, _res, buffer, charset) => {
      // Plain errors: body-parser sets `status` on what is thrown (AppError's is a getter);
      // the error handler maps each `type` to the envelope.
      if (charset !== JSON_CHARSET)
        throw Object.assign(new Error('The request body must be UTF-8.'), { type: 'charset.unsupported' });
      const problem = jsonShapeProblem(buffer.toString('utf8'));
      if (problem)
        throw Object.assign(new Error(`The request body is refused: ${problem}.`), { type: JSON_SHAPE });
    },
  });
}
