import { Injectable } from '@nestjs/common';
import { DomainError } from '../../../common/domain-error.js';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { SessionEndReason } from '../../session/domain/session.js';
import type { DeviceKey } from '../../session/domain/session-grant.js';
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

  /**
   * `deviceKey`: the key of a DPoP proof sent with the request. A token of a session bound to a
   * device key revokes only with a proof by that key, so a copy cannot sign the device out.
   */
  async revoke(token: string, hint: string | undefined, client: ClientInfo, deviceKey?: DeviceKey): Promise<void> {
    // RFC 7009 §2.1: the hint only says where to look first.
    const byRefresh = () => this.refresher.revoke(token, client, deviceKey);
    const byAccess = () => this.byAccessToken(token, client, deviceKey);
    for (const attempt of hint === 'access_token' ? [byAccess, byRefresh] : [byRefresh, byAccess]) {
      if (await attempt()) return;
    }
  }

  /** An expired access token has nothing left to revoke; a forged one is not ours. */
  private async byAccessToken(token: string, client: ClientInfo, deviceKey: DeviceKey | undefined): Promise<boolean> {
    const claims = await this.verifier.verify(token).catch((error: unknown) => {
      if (error instanceof DomainError && (error.code === 'UNAUTHENTICATED' || error.code === 'TOKEN_EXPIRED')) return undefined;
      throw error;
    });
    if (!claims) return false;
    if (claims.deviceKeyThumbprint && claims.deviceKeyThumbprint !== deviceKey?.thumbprint) return true;
    await this.terminator.endOne(claims.userId, claims.sessionId, SessionEndReason.LOGOUT, client);
    return true;
  }
}
