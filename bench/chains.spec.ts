import { describe, expect, it } from '@jest/globals';
import { runChains } from './chains.js';

describe('runChains', () => {
  it('refreshes each chain with the token it last received, and keeps the latest', async () => {
    const seen: string[] = [];
    const tokens = ['a0', 'b0'];
    const result = await runChains(
      tokens,
      async (token) => {
        seen.push(token);
        const [name, generation] = [token[0], Number(token.slice(1))];
        await new Promise((resolve) => setTimeout(resolve, 1));
        return `${name}${generation + 1}`;
      },
      60,
    );
    for (const chain of ['a', 'b']) {
      const generations = seen.filter((token) => token.startsWith(chain)).map((token) => Number(token.slice(1)));
      expect(generations).toEqual(generations.map((_, index) => index));
    }
    expect(result.requests).toBe(seen.length);
    expect(Number(tokens[0].slice(1)) + Number(tokens[1].slice(1))).toBe(result.requests);
    expect(result.errors).toBe(0);
    expect(result.requestsPerSecond).toBeGreaterThan(0);
  });

  it('ends a chain at its first error and counts it', async () => {
    const tokens = ['ok', 'bad'];
    const result = await runChains(
      tokens,
      async (token) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (token === 'bad') throw new Error('refused');
        return token;
      },
      30,
    );
    expect(result.errors).toBe(1);
    expect(tokens[1]).toBe('bad');
    expect(result.requests).toBeGreaterThan(0);
  });
});
