import type { Clock } from '../../src/common/clock.js';
import type { TokenSigner } from '../../src/modules/token/domain/token-signer.js';

type AccessTokenRequest = Parameters<TokenSigner['sign']>[0];
type SignedAccessToken = Awaited<ReturnType<TokenSigner['sign']>>;

/**
 * Stands in for TokenSigner whatever signs underneath (keys, JWT library): the session services
 * only pass it the claims and hand on what it returns, so a test asserts the claims it was given.
 */
export class FakeTokenSigner implements Pick<TokenSigner, 'sign'> {
  readonly requests: AccessTokenRequest[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  sign(request: AccessTokenRequest): Promise<SignedAccessToken> {
    this.requests.push(request);
    return Promise.resolve({ token: `access-${this.requests.length}`, expiresAt: new Date(this.clock.now().getTime() + this.ttlMs) });
  }
}
