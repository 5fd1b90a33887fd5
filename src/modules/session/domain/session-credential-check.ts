import { Injectable } from '@nestjs/common';
import { DomainEvents } from '../../../events/domain-events.js';
import { invalidCredentials, UserService } from '../../user/domain/user.service.js';
import { normaliseEmail, type User } from '../../user/domain/user.js';
import type { ClientInfo } from './session.js';
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

  /** Counts failures per account and IP, and refuses a locked account before looking at the password. */
  async check(credentials: Credentials, client: ClientInfo): Promise<User> {
    const account = normaliseEmail(credentials.email);
    await this.throttle.assertLoginAllowed(account, client.ipAddress);
    const check = await this.users.checkCredentials(credentials.email, credentials.password);
    if (check.valid) {
      await this.throttle.recordSuccess(account);
      return check.user;
    }
    const failures = await this.throttle.recordFailure(account, client.ipAddress);
    if (check.attemptedUserId) {
      const userId = check.attemptedUserId;
      this.events.publish({ type: 'LOGIN_FAILED', userId, reason: 'INVALID_CREDENTIALS', client });
      if (failures.accountJustLocked) this.events.publish({ type: 'BRUTE_FORCE_DETECTED', userId, failures: failures.accountFailures, client });
    }
    throw invalidCredentials();
  }
}
