import { DomainError } from '../../../common/domain-error.js';

/** Without a DPoP proof by the session's device key, the password is the proof reauthenticate takes. */
export const passwordRequired = () =>
  new DomainError('BAD_USER_INPUT', 'Send the account password, or on a device-bound session a DPoP proof, to reauthenticate.', {
    fields: ['password'],
  });
