import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { DomainError } from '../../../common/domain-error.js';
import { Role } from '../../../kernel/role.js';
import { UserRepository, type UserWithPassword } from '../data/user.repository.js';
import { PasswordHasher } from './password-hasher.js';
import { assertPasswordPolicy } from './password-policy.js';
import { RegistrationThrottle } from './registration-throttle.js';
import { normaliseEmail, type User } from './user.js';

export const invalidCredentials = () => new DomainError('INVALID_CREDENTIALS', 'Wrong email or password.');

export type CredentialCheck =
  { readonly valid: true; readonly user: User } | { readonly valid: false; readonly attemptedUserId: string | undefined };

@Injectable()
export class UserService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UserService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly passwords: PasswordHasher,
    private readonly registrations: RegistrationThrottle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Self-service sign-up. The policy answers first, for free; only then does the attempt count
   * against its address, since from there on it costs a hash and tells whether the email is taken.
   */
  async register(email: string, password: string, from: { readonly ipAddress: string | null }): Promise<User> {
    const account = normaliseEmail(email);
    assertPasswordPolicy(password, account);
    await this.registrations.take(from.ipAddress);
    return this.create(account, password, [Role.USER]);
  }

  /**
   * Wrong email and wrong password fail alike, in time here and in message for the client; the
   * account a wrong password was tried on is told to the caller, for the activity log.
   */
  async checkCredentials(email: string, password: string): Promise<CredentialCheck> {
    const found = await this.users.getWithPasswordByEmail(normaliseEmail(email));
    const valid = found ? await this.passwords.verify(found.passwordHash, password) : await this.passwords.verifyAgainstDecoy(password);
    if (found && valid) return { valid: true, user: found.user };
    return { valid: false, attemptedUserId: found?.user.id };
  }

  async getById(id: string): Promise<User | undefined> {
    return this.users.getById(id);
  }

  /**
   * The hash a password change stores, once the new password passes the policy and differs from
   * the current one (which the caller has already verified); its own argon2id work, outside any
   * transaction.
   */
  async hashNewPassword(user: User, currentPassword: string, newPassword: string): Promise<string> {
    assertPasswordPolicy(newPassword, user.email, 'newPassword');
    if (newPassword === currentPassword) {
      throw new DomainError('BAD_USER_INPUT', 'The new password must differ from the current one.', { fields: ['newPassword'] });
    }
    return this.passwords.hash(newPassword);
  }

  /** Inside a change holding the user's lock, as the writes below. */
  setPasswordHash(tx: EntityManager, userId: string, passwordHash: string): Promise<void> {
    return this.users.setPasswordHash(tx, userId, passwordHash);
  }

  setDisabledAt(tx: EntityManager, userId: string, disabledAt: Date | null): Promise<User | undefined> {
    return this.users.setDisabledAt(tx, userId, disabledAt);
  }

  setRoles(tx: EntityManager, userId: string, roles: readonly Role[]): Promise<{ user: User; previousRoles: Role[] } | undefined> {
    return this.users.setRoles(tx, userId, roles);
  }

  countOtherActiveAdmins(tx: EntityManager, userId: string): Promise<number> {
    return this.users.countOtherActiveAdmins(tx, userId);
  }

  /**
   * ADMIN_EMAIL/ADMIN_PASSWORD: make sure that account exists and is an admin. An account that
   * already has the address becomes ADMIN only when ADMIN_PASSWORD opens it: otherwise whoever
   * registered the address first, a squatter say, would be made administrator by the next start.
   */
  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.admin;
    if (!admin) return;
    const account = normaliseEmail(admin.email);
    const existing = await this.users.getWithPasswordByEmail(account);
    if (existing) {
      await this.promoteExisting(existing, admin.password);
      return;
    }
    try {
      assertPasswordPolicy(admin.password, account);
    } catch (error) {
      // The operator's password obeys everyone's rule; the start-up that refuses it names the variable.
      throw new Error(`ADMIN_PASSWORD is refused: ${(error as Error).message}`, { cause: error });
    }
    try {
      await this.create(account, admin.password, [Role.USER, Role.ADMIN]);
      this.logger.log('Created the administrator account from ADMIN_EMAIL');
    } catch (error) {
      // Another instance may have created it a moment ago: the same check settles either way.
      const raced = await this.users.getWithPasswordByEmail(account);
      if (!raced) throw error;
      await this.promoteExisting(raced, admin.password);
    }
  }

  private async promoteExisting(existing: UserWithPassword, adminPassword: string): Promise<void> {
    if (!(await this.passwords.verify(existing.passwordHash, adminPassword))) {
      throw new Error(
        'ADMIN_EMAIL names an account that already exists, and ADMIN_PASSWORD is not its password: it is not made an administrator. ' +
          'Someone may have registered that address first; set ADMIN_PASSWORD to the account’s password, or choose another ADMIN_EMAIL.',
      );
    }
    await this.users.grantRole(existing.user.id, Role.ADMIN);
  }

  /** `account` is already normalised; the unique constraint decides whether it is taken, not a prior read. */
  private async create(account: string, password: string, roles: Role[]): Promise<User> {
    const user = await this.users.insertIfEmailFree({
      id: randomUUID(),
      email: account,
      passwordHash: await this.passwords.hash(password),
      roles,
    });
    if (!user) throw new DomainError('BAD_USER_INPUT', 'This email is already registered.', { fields: ['email'] });
    return user;
  }
}
