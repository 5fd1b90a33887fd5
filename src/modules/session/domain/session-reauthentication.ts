import { Injectable } from '@nestjs/common';
import { DataCipher } from '../../../common/data-cipher.js';
import { accountDisabled, notFound } from '../../../common/domain-error.js';
import { hashToken } from '../../../common/opaque-token.js';
import { UNKNOWN_CLIENT } from '../../../kernel/client-info.js';
import { DeviceService } from '../../device/domain/device.service.js';
import { invalidDpopProof } from '../../token/domain/dpop-proof.js';
import { TokenSigner } from '../../token/domain/token-signer.js';
import type { User } from '../../user/domain/user.js';
import { UserService } from '../../user/domain/user.service.js';
import { SessionRotationRepository } from '../data/session-rotation.repository.js';
import { SessionStatus, type AuthenticationMethod } from './session.js';
import { sessionEnded } from './session.errors.js';
import { SessionCredentialCheck } from './session-credential-check.js';
import { signedGrant, type Actor, type DeviceKey, type SessionGrant } from './session-grant.js';
import { successorAssociatedData } from './session-refresh.service.js';
import { UserChange } from './user-change.js';
import { RefreshTokens } from './refresh-tokens.js';

/**
 * Step-up: a fresh proof of identity on the caller's session, by password (checked behind the
 * login's brute-force limits) or, on a session bound to a device key, by a proof that key made
 * with a fresh server nonce (on phones the app unlocks that key with Face ID or a fingerprint).
 * Then, as one change, the session's authenticatedAt moves to now and it gets new tokens, whose
 * access tokens carry the new `auth_time` and `amr`, and REAUTHENTICATED is logged.
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
    private readonly tokens: RefreshTokens,
    private readonly cipher: DataCipher,
  ) {}

  async withPassword(actor: Actor, password: string): Promise<SessionGrant> {
    const account = await this.existing(actor);
    await this.credentials.check({ email: account.email, password }, actor.client ?? UNKNOWN_CLIENT);
    return this.reissue(actor, account, 'pwd');
  }

  /** `deviceKey`: the request's proof, checked with a fresh nonce; it must be the key the session is bound to. */
  async withDeviceKey(actor: Actor, deviceKey: DeviceKey): Promise<SessionGrant> {
    return this.reissue(actor, await this.existing(actor), 'hwk', deviceKey);
  }

  private async existing(actor: Actor): Promise<User> {
    const account = await this.users.getById(actor.userId);
    if (!account) throw notFound('user');
    return account;
  }

  private async reissue(actor: Actor, user: User, method: AuthenticationMethod, deviceKey?: DeviceKey): Promise<SessionGrant> {
    // Before the change's transaction: loading the key is a query of its own (once per process).
    const tokens = await this.tokens.codec();
    const { session, generation, refreshToken } = await this.userChange.run(actor.userId, actor.client, async (change) => {
      if (change.userDisabledAt) throw accountDisabled();
      const locked = await this.rotations.lockSession(change.tx, actor.sessionId);
      if (!locked || locked.session.userId !== actor.userId) throw notFound('session');
      if (locked.session.status !== SessionStatus.ACTIVE) throw sessionEnded(locked.session.status);
      if (deviceKey && locked.session.deviceKeyThumbprint !== deviceKey.thumbprint) {
        throw invalidDpopProof('Only a session bound to this device key can be confirmed with it; send the password instead.');
      }
      const generation = locked.generation + 1;
      const refreshToken = tokens.mint({ sessionId: actor.sessionId, generation });
      const session = await this.rotations.reissue(change.tx, {
        sessionId: actor.sessionId,
        newGeneration: generation,
        newTokenHash: hashToken(refreshToken),
        successorCiphertext: this.cipher.encrypt(refreshToken, successorAssociatedData(actor.sessionId, generation)),
        now: change.now,
        authenticationMethod: method,
      });
      change.emit({ type: 'REAUTHENTICATED', session, method: method === 'hwk' ? 'device_key' : 'password', client: actor.client });
      return { session, generation, refreshToken };
    });

    const device = await this.devices.getById(session.deviceId);
    if (!device) throw notFound('device');
    return signedGrant(this.signer, { session, device, user, generation, refreshToken });
  }
}
