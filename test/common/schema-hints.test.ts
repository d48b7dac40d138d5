/** Typo suggestions and enum messages shared by both programs' config validation and the collector's API. */
import { describe, expect, it } from 'vitest';
import { allowedValues, didYouMean, oneOfMessage } from '../../src/common/schema-hints.js';

describe('schema hints', () => {
  const keys = ['heartbeatIntervalSec', 'offlineAfterIntervals', 'listen', 'db', 'logLevel'];

  it('suggests the setting a misspelt key was meant to be', () => {
    expect(didYouMean('hearbeatIntervalSec', keys)).toBe('heartbeatIntervalSec');
    expect(didYouMean('heartbeatintervalsec', keys)).toBe('heartbeatIntervalSec');
    expect(didYouMean('lsiten', keys)).toBe('listen');
    expect(didYouMean('loglevel', keys)).toBe('logLevel');
  });

  it('suggests nothing for a key unlike any setting', () => {
    expect(didYouMean('bogus', keys)).toBeUndefined();
    expect(didYouMean('x', keys)).toBeUndefined();
    expect(didYouMean('listen', [])).toBeUndefined();
  });

  it('lists the values of an enum, a const and a union of constants', () => {
    expect(allowedValues({ enum: ['a', 'b'] })).toEqual(['a', 'b']);
    expect(allowedValues({ anyOf: [{ const: 'auto' }, { const: 32 }] })).toEqual(['auto', 32]);
    expect(allowedValues({ anyOf: [{ const: 'a' }, { type: 'string' }] })).toBeUndefined();
    expect(allowedValues({ type: 'string' })).toBeUndefined();
    expect(oneOfMessage(['period', 'total', 24])).toBe('must be one of period, total, 24');
  });
});
