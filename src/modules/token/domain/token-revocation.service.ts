import { Injectable } from '@nestjs/common';
import { DomainError } from '../../../common/domain-error.js';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { SessionEndReason } from '../../session/domain/session.js';
import { SessionRefreshService } from '../../session/domain/session-refresh.service.js';
import { SessionTerminator } from '../../session/domain/session-terminator.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * RFC 7009: whoever holds a token may revoke it. A refresh token or an access token ends the
 * session it belongs to (the session is the token family); a rotated refresh token that refresh
 * would call reuse ends it as reuse. A token we do not recognise is answered like any other, so
 * the endpoint tells nothing about which tokens exist. The hint only orders the search (§2.1).
 */
@Injectable()
export class TokenRevocationService {
  constructor(
    private readonly refresher: SessionRefreshService,
    private readonly terminator: SessionTerminator,
    private readonly verifier: TokenVerifier,
  ) {}

  async revoke(token: string, hint: string | undefined, client: ClientInfo): Promise<void> {
    // RFC 7009 §2.1: the hint only says where to look first.
    const byRefresh = () => this.byRefreshToken(token, client);
    const byAccess = () => this.byAccessToken(token, client);
    for (const attempt of hint === 'access_token' ? [byAccess, byRefresh] : [byRefresh, byAccess]) {
      if (await attempt()) return;
    }
  }

  private byRefreshToken(token: string, client: ClientInfo): Promise<boolean> {
    return this.refresher.revoke(token, client);
  }

  /** An expired access token has nothing left to revoke; a forged one is not ours. */
  private async byAccessToken(token: string, client: ClientInfo): Promise<boolean> {
    const claims = await this.verifier.verify(token).catch((error: unknown) => {
      if (error instanceof DomainError && (error.code === 'UNAUTHENTICATED' || error.code === 'TOKEN_EXPIRED')) return undefined;
      throw error;
    });
    if (!claims) return false;
    await this.terminator.endOne(claims.userId, claims.sessionId, SessionEndReason.LOGOUT, client);
    return true;
  }
}
