import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { unauthenticated } from '../../../common/domain-error.js';
import { requestOf } from '../../../graphql/request-context.js';
import type { Actor } from '../domain/session-grant.js';
import { clientInfoOf } from './client-info.js';

/** The authenticated caller, as TokenGuard established it. */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor => {
  const request = requestOf(context);
  const auth = request?.auth;
  if (!request || !auth) throw unauthenticated();
  return { userId: auth.userId, sessionId: auth.sessionId, roles: auth.roles, client: clientInfoOf(request) };
});
