/**
 * Hints that turn JSON-schema (Ajv) errors into messages an operator can act on: the setting a misspelt key was
 * probably meant to be ("did you mean heartbeatIntervalSec?"), and the values an enum accepts. Used by both programs'
 * config validation and by the collector's request validation.
 */
import { closest, distance } from 'fastest-levenshtein';
import type { ErrorObject } from 'ajv';

/** The candidate closest to `word` if it is close enough to be a typo (case ignored), else undefined. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0 || word === '') return undefined;
  const lower = word.toLowerCase();
  const byLower = new Map(candidates.map((c) => [c.toLowerCase(), c]));
  const best = closest(lower, [...byLower.keys()]);
  // Up to a third of the word may differ (a dropped, doubled or swapped letter): 2 edits at least, 1 for short words.
  const limit = word.length <= 3 ? 1 : Math.max(2, Math.floor(word.length / 3));
  return distance(lower, best) <= limit ? byLower.get(best) : undefined;
}

interface SchemaLike {
  properties?: Record<string, unknown>;
  enum?: unknown[];
  const?: unknown;
  anyOf?: SchemaLike[];
}

/** The values a schema accepts when it is an enum, a const or a union of those; undefined for any other schema. */
export function allowedValues(schema: unknown): unknown[] | undefined {
  const s = schema as SchemaLike | undefined;
  if (!s || typeof s !== 'object') return undefined;
  if (Array.isArray(s.enum)) return s.enum;
  if ('const' in s) return [s.const];
  if (Array.isArray(s.anyOf)) {
    const all: unknown[] = [];
    for (const branch of s.anyOf) {
      const values = allowedValues(branch);
      if (!values) return undefined;
      all.push(...values);
    }
    return all;
  }
  return undefined;
}

/** "must be one of period, total, 24h" (strings bare, anything else as JSON). */
export function oneOfMessage(values: readonly unknown[]): string {
  return `must be one of ${values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`;
}

/**
 * " (did you mean X?)" for an additionalProperties error, or ''. Needs the error's parentSchema, so the Ajv instance
 * must be created with `verbose: true`.
 */
export function unknownKeyHint(err: ErrorObject): string {
  if (err.keyword !== 'additionalProperties') return '';
  const known = Object.keys((err.parentSchema as SchemaLike | undefined)?.properties ?? {});
  const guess = didYouMean(String(err.params.additionalProperty), known);
  return guess ? ` (did you mean ${guess}?)` : '';
}

/**
 * For a failed enum or union of constants: "must be one of …" (with the value given). A union's branches each
 * report "must be equal to constant"; the union's own anyOf error, later in the list, carries the alternatives.
 * Needs `verbose: true` for unions.
 */
export function enumMessage(err: ErrorObject): string | undefined {
  if (err.keyword !== 'enum' && err.keyword !== 'anyOf') return undefined;
  const values = allowedValues(err.keyword === 'enum' ? { enum: err.params.allowedValues } : err.parentSchema);
  if (!values) return undefined;
  const got = err.data !== undefined && typeof err.data !== 'object' ? ` (got ${JSON.stringify(err.data)})` : '';
  return `${oneOfMessage(values)}${got}`;
}

/**
 * Ajv errors as one line per problem, `<key.path>: <what is wrong>`, worded the same for the agent's and the
 * collector's configuration.
 */
function keyPath(err: ErrorObject): string {
  let path = err.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (err.keyword === 'required')
    path = path ? `${path}.${err.params.missingProperty}` : String(err.params.missingProperty);
  if (err.keyword === 'additionalProperties')
    path = path ? `${path}.${err.params.additionalProperty}` : String(err.params.additionalProperty);
  return path || '(top level)';
}

function describe(err: ErrorObject): string {
  if (err.keyword === 'required') return 'is required';
  if (err.keyword === 'additionalProperties') return `is not a known setting${unknownKeyHint(err)}`;
  const custom = (err.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
  if (custom) return custom;
  return `${err.message ?? 'is invalid'}${err.data !== undefined && typeof err.data !== 'object' ? ` (got ${JSON.stringify(err.data)})` : ''}`;
}

/** One line per problem, deduplicated (a union reports each of its branches), in key order. */
export function schemaProblems(errors: readonly ErrorObject[]): string[] {
  const byPath = new Map<string, string>();
  for (const e of errors) {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    const path = keyPath(e);
    if (!byPath.has(path)) byPath.set(path, `${path}: ${describe(e)}`);
  }
  // A failed union leaves only its branches' errors; prefer the custom message of the union where there is one.
  for (const e of errors) {
    if (e.keyword !== 'anyOf') continue;
    const path = keyPath(e);
    const custom = (e.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
    if (custom || !byPath.has(path) || enumMessage(e))
      byPath.set(path, `${path}: ${custom ?? enumMessage(e) ?? 'is not one of the allowed values'}`);
  }
  return [...byPath.values()].sort();
}
