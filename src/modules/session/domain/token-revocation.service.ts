import { Injectable } from '@nestjs/common';
import { DomainError } from '../../../common/domain-error.js';
import { hashToken, isWellFormedRefreshToken } from '../../../common/opaque-token.js';
import { TokenVerifier } from '../../token/domain/token-verifier.js';
import { SessionRepository } from '../data/session.repository.js';
import { SessionEndReason, type ClientInfo } from './session.js';
import { SessionTerminator } from './session-terminator.js';

/**
 * RFC 7009: whoever holds a token may revoke it. A refresh token or an access token ends the
 * session it belongs to (the session is the token family). A token we do not recognise is
 * answered like any other, so the endpoint tells nothing about which tokens exist.
 */
@Injectable()
export class TokenRevocationService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly terminator: SessionTerminator,
    private readonly verifier: TokenVerifier,
  ) {}

  async revoke(token: string, hint: string | undefined, client: ClientInfo): Promise<void> {
    const attempts = hint === 'access_token' ? [this.byAccessToken, this.byRefreshToken] : [this.byRefreshToken, this.byAccessToken];
    for (const attempt of attempts) {
      const session = await attempt.call(this, token);
      if (session) {
        await this.terminator.endOne(session.userId, session.sessionId, SessionEndReason.LOGOUT, client);
        return;
      }
    }
  }

  private async byRefreshToken(token: string): Promise<{ userId: string; sessionId: string } | undefined> {
    if (!isWellFormedRefreshToken(token)) return undefined;
    return this.sessions.findRefreshToken(hashToken(token));
  }

  /** An expired access token has nothing left to revoke; a forged one is not ours. */
  private async byAccessToken(token: string): Promise<{ userId: string; sessionId: string } | undefined> {
    try {
      const claims = await this.verifier.verify(token);
      return { userId: claims.userId, sessionId: claims.sessionId };
    } catch (error) {
      if (error instanceof DomainError && (error.code === 'UNAUTHENTICATED' || error.code === 'TOKEN_EXPIRED')) return undefined;
      throw error;
    }
  }
}
