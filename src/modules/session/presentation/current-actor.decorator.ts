import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { unauthenticated } from '../../../common/domain-error.js';
import { requestOf } from '../../../graphql/request-context.js';
import type { Actor } from '../domain/session-grant.js';

/** The authenticated caller, as TokenGuard established it. */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor => {
  const auth = requestOf(context)?.auth;
  if (!auth) throw unauthenticated();
  return { userId: auth.userId, sessionId: auth.sessionId, roles: auth.roles };
});
