import { Injectable } from '@nestjs/common';
import { accountDisabled, DomainError, forbidden, notFound } from '../../../common/domain-error.js';
import { UNKNOWN_CLIENT } from '../../../kernel/client-info.js';
import { Role, sameRoles } from '../../../kernel/role.js';
import { SessionEndReason } from '../../session/domain/session.js';
import { SessionCredentialCheck } from '../../session/domain/session-credential-check.js';
import { isAdmin, type Actor } from '../../session/domain/session-grant.js';
import { SessionStepUp } from '../../session/domain/session-step-up.js';
import { SessionTerminator } from '../../session/domain/session-terminator.js';
import { UserChange } from '../../session/domain/user-change.js';
import type { User } from '../../user/domain/user.js';
import { UserService } from '../../user/domain/user.service.js';
import './account-domain-events.js';

/**
 * What happens to the account itself, and what it does to the account's sessions: each is one
 * UserChange, so the sessions it ends, its activity entry and its alert commit with it.
 */
@Injectable()
export class AccountService {
  constructor(
    private readonly users: UserService,
    private readonly credentials: SessionCredentialCheck,
    private readonly terminator: SessionTerminator,
    private readonly userChange: UserChange,
    private readonly stepUp: SessionStepUp,
  ) {}

  /**
   * The current password is its own proof (behind the login's limits). Every other session ends
   * (PASSWORD_CHANGED): whoever knew the old password keeps nothing. Returns how many ended.
   */
  async changePassword(actor: Actor, currentPassword: string, newPassword: string): Promise<number> {
    const user = await this.existing(actor.userId);
    try {
      await this.credentials.check({ email: user.email, password: currentPassword }, actor.client ?? UNKNOWN_CLIENT);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'INVALID_CREDENTIALS') {
        throw new DomainError('INVALID_CREDENTIALS', 'The current password is wrong.', { fields: ['currentPassword'] });
      }
      throw error;
    }
    const passwordHash = await this.users.hashNewPassword(user, currentPassword, newPassword);
    return this.userChange.run(actor.userId, actor.client, async (change) => {
      if (change.userDisabledAt) throw accountDisabled();
      await this.users.setPasswordHash(change.tx, actor.userId, passwordHash);
      const ended = await this.terminator.endAllLocked(change, actor.sessionId, SessionEndReason.PASSWORD_CHANGED);
      change.emit({
        type: 'PASSWORD_CHANGED',
        userId: actor.userId,
        sessionId: actor.sessionId,
        changedAt: change.now,
        client: actor.client,
      });
      return ended.length;
    });
  }

  /** Every session of the account ends at once (ACCOUNT_DISABLED); logins and refreshes are refused until enabled. */
  async disable(actor: Actor, userId: string): Promise<User> {
    await this.assertAdministrator(actor);
    if (userId === actor.userId) {
      throw new DomainError('BAD_USER_INPUT', 'An administrator cannot disable their own account.', { fields: ['userId'] });
    }
    await this.existing(userId);
    return this.userChange.run(userId, actor.client, async (change) => {
      const user = await this.users.setDisabledAt(change.tx, userId, change.now);
      if (!user) throw notFound('user');
      if (!change.userDisabledAt) {
        await this.terminator.endAllLocked(change, null, SessionEndReason.ACCOUNT_DISABLED);
        change.emit({ type: 'ACCOUNT_DISABLED', userId, actorUserId: actor.userId, client: actor.client });
      }
      return user;
    });
  }

  async enable(actor: Actor, userId: string): Promise<User> {
    if (!isAdmin(actor)) throw forbidden('Only administrators may enable an account.');
    await this.existing(userId);
    return this.userChange.run(userId, actor.client, async (change) => {
      const user = await this.users.setDisabledAt(change.tx, userId, null);
      if (!user) throw notFound('user');
      if (change.userDisabledAt) change.emit({ type: 'ACCOUNT_ENABLED', userId, actorUserId: actor.userId, client: actor.client });
      return user;
    });
  }

  /**
   * Every account keeps USER; the last enabled administrator keeps ADMIN. The user's open
   * sessions act with the new roles from their next request (SessionStateCache hears of it).
   */
  async setRoles(actor: Actor, userId: string, roles: readonly Role[]): Promise<User> {
    await this.assertAdministrator(actor);
    const wanted = [...new Set(roles)];
    if (!wanted.includes(Role.USER)) {
      throw new DomainError('BAD_USER_INPUT', 'Every account has the USER role.', { fields: ['roles'] });
    }
    await this.existing(userId);
    return this.userChange.run(userId, actor.client, async (change) => {
      const changed = await this.users.setRoles(change.tx, userId, wanted);
      if (!changed) throw notFound('user');
      const { user, previousRoles } = changed;
      const demoting = previousRoles.includes(Role.ADMIN) && !user.roles.includes(Role.ADMIN);
      // Thrown, the change rolls back with the write above.
      if (demoting && (await this.users.countOtherActiveAdmins(change.tx, userId)) === 0) {
        throw new DomainError('BAD_USER_INPUT', 'This is the last administrator: make another account ADMIN first.', { fields: ['roles'] });
      }
      if (!sameRoles(previousRoles, user.roles)) {
        change.emit({ type: 'ROLES_CHANGED', userId, actorUserId: actor.userId, roles: user.roles, previousRoles, client: actor.client });
      }
      return user;
    });
  }

  private async assertAdministrator(actor: Actor): Promise<void> {
    if (!isAdmin(actor)) throw forbidden('Only administrators may change another account.');
    await this.stepUp.assertRecent(actor);
  }

  private async existing(userId: string): Promise<User> {
    const user = await this.users.getById(userId);
    if (!user) throw notFound('user');
    return user;
  }
}
