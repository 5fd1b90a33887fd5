import { Injectable } from '@nestjs/common';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { invalidCredentials, UserService, type CredentialCheck } from '../../user/domain/user.service.js';
import { normaliseEmail, type User } from '../../user/domain/user.js';
import { SessionLoginThrottle } from './session-login-throttle.js';
import { UserChange } from './user-change.js';

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
    private readonly userChange: UserChange,
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
      // Its own short change: the entry (and the alert, when this failure locks the account) is
      // recorded before the refusal is answered.
      await this.userChange.run(userId, client, async (change) => {
        change.emit({ type: 'LOGIN_FAILED', userId, reason: 'INVALID_CREDENTIALS', client });
        if (failures.accountJustLocked) change.emit({ type: 'BRUTE_FORCE_DETECTED', userId, failures: failures.accountFailures, client });
      });
    } else {
      // The same round trips for an address with no account, so the answer's timing does not tell them apart.
      await this.userChange.rehearse();
    }
    throw invalidCredentials();
  }
}
