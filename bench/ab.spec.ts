import { describe, expect, it } from '@jest/globals';
import { parseArguments } from './ab.js';

describe('bench:ab arguments', () => {
  it('reads each variant’s label and settings, and the options between them', () => {
    const options = parseArguments([
      'tcp',
      '--rounds',
      '5',
      'socket:DATABASE_URL=postgres://u@localhost/{database}?host=/run,LOG_LEVEL=warn',
      '--sql',
      'DROP INDEX x',
    ]);
    expect(options.variants).toEqual([
      { label: 'tcp', env: {} },
      { label: 'socket', env: { DATABASE_URL: 'postgres://u@localhost/{database}?host=/run', LOG_LEVEL: 'warn' } },
    ]);
    expect(options).toMatchObject({ rounds: 5, windowMs: 5_000, warmupMs: 8_000, sql: ['DROP INDEX x'] });
  });

  it('refuses what it cannot run: one variant, a setting without a value, an unknown option', () => {
    expect(() => parseArguments(['only'])).toThrow(/two variants/);
    expect(() => parseArguments(['a', 'b:NOVALUE'])).toThrow(/KEY=VALUE/);
    expect(() => parseArguments(['a', 'b', '--fast'])).toThrow(/unknown option/);
    expect(() => parseArguments(['a', 'b', '--rounds', '0'])).toThrow(/positive/);
  });
});
