import { describe, expect, it } from '@jest/globals';
import type { AccessTokenClaims } from '../../../kernel/access-token-claims.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

const claims = (tokenId: string): AccessTokenClaims => ({
  userId: '00000000-0000-4000-8000-000000000001',
  sessionId: '00000000-0000-4000-8000-000000000002',
  roles: [],
  generation: 0,
  tokenId,
  issuedAt: new Date(0),
  expiresAt: new Date(900_000),
});

describe('VerifiedTokenCache', () => {
  it('finds a token by its digest, never by a different token', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set(VerifiedTokenCache.keyOf('token-a'), claims('a'));
    expect(cache.get(VerifiedTokenCache.keyOf('token-a'))?.tokenId).toBe('a');
    expect(cache.get(VerifiedTokenCache.keyOf('token-b'))).toBeUndefined();
    expect(VerifiedTokenCache.keyOf('token-a')).not.toContain('token-a');
  });

  it('keeps at most its capacity, letting the oldest entry go first', () => {
    const cache = new VerifiedTokenCache(3);
    for (const id of ['1', '2', '3', '4']) cache.set(VerifiedTokenCache.keyOf(id), claims(id));
    expect(cache.size).toBe(3);
    expect(cache.get(VerifiedTokenCache.keyOf('1'))).toBeUndefined();
    expect(cache.get(VerifiedTokenCache.keyOf('4'))?.tokenId).toBe('4');
  });

  it('does not evict anything when a token already kept is stored again', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set(VerifiedTokenCache.keyOf('1'), claims('1'));
    cache.set(VerifiedTokenCache.keyOf('2'), claims('2'));
    cache.set(VerifiedTokenCache.keyOf('2'), claims('2'));
    expect(cache.get(VerifiedTokenCache.keyOf('1'))?.tokenId).toBe('1');
  });
});
