import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { DomainError } from '../../../common/domain-error.js';
import { UserRepository } from '../data/user.repository.js';
import { PasswordHasher } from './password-hasher.js';
import { normaliseEmail, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, Role, type User } from './user.js';

export const invalidCredentials = () => new DomainError('INVALID_CREDENTIALS', 'Wrong email or password.');

export type CredentialCheck =
  | { readonly valid: true; readonly user: User }
  | { readonly valid: false; readonly attemptedUserId: string | undefined };

@Injectable()
export class UserService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UserService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly passwords: PasswordHasher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async register(email: string, password: string, roles: Role[] = [Role.USER]): Promise<User> {
    assertPasswordPolicy(password);
    const user = await this.users.insertIfEmailFree({
      id: randomUUID(),
      email: normaliseEmail(email),
      passwordHash: await this.passwords.hash(password),
      roles,
    });
    if (!user) {
      throw new DomainError('BAD_USER_INPUT', 'This email is already registered.', { fields: ['email'] });
    }
    return user;
  }

  /**
   * Wrong email and wrong password fail alike, in time here and in message for the client; the
   * account a wrong password was tried on is told to the caller, for the activity log.
   */
  async checkCredentials(email: string, password: string): Promise<CredentialCheck> {
    const found = await this.users.getWithPasswordByEmail(normaliseEmail(email));
    const valid = found
      ? await this.passwords.verify(found.passwordHash, password)
      : await this.passwords.verifyAgainstDecoy(password);
    if (found && valid) return { valid: true, user: found.user };
    return { valid: false, attemptedUserId: found?.user.id };
  }

  async getById(id: string): Promise<User | undefined> {
    return this.users.getById(id);
  }

  /** ADMIN_EMAIL/ADMIN_PASSWORD: make sure that account exists and is an admin. */
  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.admin;
    if (!admin) return;
    const existing = await this.users.getWithPasswordByEmail(normaliseEmail(admin.email));
    if (existing) {
      await this.users.grantRole(existing.user.id, Role.ADMIN);
      return;
    }
    try {
      await this.register(admin.email, admin.password, [Role.USER, Role.ADMIN]);
      this.logger.log('Created the administrator account from ADMIN_EMAIL');
    } catch (error) {
      // Another instance may have created it a moment ago; the grant below settles either way.
      const raced = await this.users.getWithPasswordByEmail(normaliseEmail(admin.email));
      if (!raced) throw error;
      await this.users.grantRole(raced.user.id, Role.ADMIN);
    }
  }
}

export function assertPasswordPolicy(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw new DomainError(
      'BAD_USER_INPUT',
      `The password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`,
      { fields: ['password'] },
    );
  }
}
