/**
 * The state file's bytes: `{"sha256":"<hex of the state JSON>","state":<state JSON>}`. The checksum catches what
 * JSON parsing alone would not (a flipped digit in a counter); the schema check catches a file of another shape.
 */
import { hash as digest } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { AgentState } from './agent-state.js';
import { errorMessage } from '../../common/error-message.js';

const PREFIX = '{"sha256":"';
const MIDDLE = '","state":';
const HASH_LEN = 64;

export function encodeState(state: AgentState): string {
  const json = JSON.stringify(state);
  const hash = digest('sha256', json, 'hex'); // one-shot: no Hash object per save
  return `${PREFIX}${hash}${MIDDLE}${json}}\n`;
}

/** Returns the state, or throws an Error whose message says what is wrong with the bytes. */
export function decodeState(text: string): AgentState {
  if (text.length === 0) throw new Error('the file is empty');
  if (
    !text.startsWith(PREFIX) ||
    text.slice(PREFIX.length + HASH_LEN, PREFIX.length + HASH_LEN + MIDDLE.length) !== MIDDLE
  ) {
    throw new Error('the file does not start like a traffic-agent state file');
  }
  const hash = text.slice(PREFIX.length, PREFIX.length + HASH_LEN);
  const body = text.trimEnd();
  if (!body.endsWith('}')) throw new Error('the file is truncated');
  const json = body.slice(PREFIX.length + HASH_LEN + MIDDLE.length, -1);
  if (digest('sha256', json, 'hex') !== hash) throw new Error('the checksum does not match (truncated or damaged)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new Error(`the JSON does not parse: ${errorMessage(err)}`);
  }
  if (!Value.Check(AgentState, parsed)) {
    const first = Value.Errors(AgentState, parsed).First();
    throw new Error(
      `the state does not have the expected shape${first ? ` at ${first.path || '/'}: ${first.message}` : ''}`,
    );
  }
  return parsed;
}
