import { Injectable } from '@nestjs/common';
import { DomainEvents } from '../../../events/domain-events.js';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { invalidCredentials, UserService, type CredentialCheck } from '../../user/domain/user.service.js';
import { normaliseEmail, type User } from '../../user/domain/user.js';
import { SessionLoginThrottle } from './session-login-throttle.js';

export interface Credentials {
  readonly email: string;
  readonly password: string;
}

/** The password check of a login, behind the brute-force limits, with its failures reported. */
@Injectable()
export class SessionCredentialCheck {
  constructor(
    private readonly users: UserService,
    private readonly throttle: SessionLoginThrottle,
    private readonly events: DomainEvents,
  ) {}

  /**
   * The limits' points are taken before the password is looked at, so simultaneous guesses cannot
   * outrun the count: a locked account is refused whatever the password, and unchecked.
   */
  async check(credentials: Credentials, client: ClientInfo): Promise<User> {
    const account = normaliseEmail(credentials.email);
    const attempt = await this.throttle.beginLogin(account, client.ipAddress);
    let check: CredentialCheck;
    try {
      check = await this.users.checkCredentials(credentials.email, credentials.password);
    } catch (error) {
      await attempt.abandoned();
      throw error;
    }
    if (check.valid) {
      await attempt.succeeded();
      return check.user;
    }
    const failures = await attempt.failed();
    if (check.attemptedUserId) {
      const userId = check.attemptedUserId;
      this.events.publish({ type: 'LOGIN_FAILED', userId, reason: 'INVALID_CREDENTIALS', client });
      if (failures.accountJustLocked)
        this.events.publish({ type: 'BRUTE_FORCE_DETECTED', userId, failures: failures.accountFailures, client });
    }
    throw invalidCredentials();
  }
}
