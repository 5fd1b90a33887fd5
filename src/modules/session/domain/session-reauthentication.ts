import { Injectable } from '@nestjs/common';
import { DataCipher } from '../../../common/data-cipher.js';
import { accountDisabled, notFound } from '../../../common/domain-error.js';
import { generateRefreshToken, hashToken } from '../../../common/opaque-token.js';
import { DeviceService } from '../../device/domain/device.service.js';
import { TokenSigner } from '../../token/domain/token-signer.js';
import { UserService } from '../../user/domain/user.service.js';
import { SessionRotationRepository } from '../data/session-rotation.repository.js';
import { SessionStatus } from './session.js';
import { sessionEnded } from './session.errors.js';
import { SessionCredentialCheck } from './session-credential-check.js';
import type { Actor, SessionGrant } from './session-grant.js';
import { successorAssociatedData } from './session-refresh.service.js';
import { UserChange } from './user-change.js';

/**
 * Step-up: a fresh proof of identity on the caller's session. The password is checked behind the
 * login's brute-force limits; then, as one change, the session's authenticatedAt moves to now and
 * it gets new tokens (access tokens carry the new `auth_time`), and REAUTHENTICATED is logged.
 */
@Injectable()
export class SessionReauthentication {
  constructor(
    private readonly users: UserService,
    private readonly credentials: SessionCredentialCheck,
    private readonly rotations: SessionRotationRepository,
    private readonly userChange: UserChange,
    private readonly devices: DeviceService,
    private readonly signer: TokenSigner,
    private readonly cipher: DataCipher,
  ) {}

  async withPassword(actor: Actor, password: string): Promise<SessionGrant> {
    const account = await this.users.getById(actor.userId);
    if (!account) throw notFound('user');
    await this.credentials.check({ email: account.email, password }, actor.client ?? { ipAddress: null, userAgent: null });

    const refreshToken = generateRefreshToken();
    const { session, generation, user } = await this.userChange.run(actor.userId, actor.client, async (change) => {
      if (change.userDisabledAt) throw accountDisabled();
      const locked = await this.rotations.lockSession(change.tx, actor.sessionId);
      if (!locked || locked.session.userId !== actor.userId) throw notFound('session');
      if (locked.session.status !== SessionStatus.ACTIVE) throw sessionEnded(locked.session.status);
      const generation = locked.generation + 1;
      const session = await this.rotations.reissue(change.tx, {
        sessionId: actor.sessionId,
        newGeneration: generation,
        newTokenHash: hashToken(refreshToken),
        successorCiphertext: this.cipher.encrypt(refreshToken, successorAssociatedData(actor.sessionId, generation)),
        now: change.now,
      });
      change.emit({ type: 'REAUTHENTICATED', session, method: 'password', client: actor.client });
      return { session, generation, user: account };
    });

    const device = await this.devices.getById(session.deviceId);
    if (!device) throw notFound('device');
    const access = await this.signer.sign({
      userId: user.id,
      sessionId: session.id,
      roles: user.roles,
      generation,
      authenticatedAt: session.authenticatedAt,
    });
    return {
      session,
      device,
      user,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt: session.expiresAt,
    };
  }
}
