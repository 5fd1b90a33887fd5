import type { Role } from '../../../kernel/role.js';
import type { Session } from '../../session/domain/session.js';

/**
 * What happens to the account itself. None carries a version: what devices see of them comes as
 * events of their own (the sessions a password change or a disable ended, the alert it raised).
 * `actorUserId` is the administrator who acted, for the security log.
 */
export type AccountDomainEvent =
  | { readonly type: 'PASSWORD_CHANGED'; readonly userId: string; readonly sessionId: string; readonly changedAt: Date }
  | { readonly type: 'REAUTHENTICATED'; readonly session: Session; readonly method: 'password' | 'device_key' }
  | { readonly type: 'ACCOUNT_DISABLED'; readonly userId: string; readonly actorUserId: string }
  | { readonly type: 'ACCOUNT_ENABLED'; readonly userId: string; readonly actorUserId: string }
  | {
      readonly type: 'ROLES_CHANGED';
      readonly userId: string;
      readonly actorUserId: string;
      readonly roles: readonly Role[];
      readonly previousRoles: readonly Role[];
    };

declare module '../../../events/domain-events.js' {
  interface DomainEventsByModule {
    account: AccountDomainEvent;
  }
}
