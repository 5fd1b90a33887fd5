import { DomainError } from '../../../common/domain-error.js';

/** Until sessions can be bound to a device key, the password is the one proof reauthenticate takes. */
export const passwordRequired = () =>
  new DomainError('BAD_USER_INPUT', 'Send the account password to reauthenticate.', { fields: ['password'] });
