import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { unauthenticated } from '../../../common/domain-error.js';
import { IS_PUBLIC } from '../../../common/public.decorator.js';
import { GqlExecutionContext } from '@nestjs/graphql';
import { requestOf, type GraphQLRequestContext } from '../../../graphql/request-context.js';
import { TokenVerifier } from '../../token/domain/token-verifier.js';
import { SessionAuthenticator } from '../domain/session-authenticator.js';

const MAX_TOKEN_LENGTH = 4096;

/**
 * Runs before every GraphQL operation and REST route that is not marked @Public(): the bearer
 * token must verify, and its session must be active and not idle.
 */
@Injectable()
export class TokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly sessions: SessionAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = requestOf(context);
    if (!request) return false;
    const connection =
      context.getType<string>() === 'graphql' ? GqlExecutionContext.create(context).getContext<GraphQLRequestContext>().connection : undefined;
    if (connection) {
      // An operation over a socket authenticated at connection_init (its token's expiry is checked
      // per operation by SessionWebSocket): its session must still be active.
      request.auth = await this.sessions.assertActive(connection.claims);
      return true;
    }
    const token = bearerToken(request.headers.authorization);
    if (!token) throw unauthenticated('Send an access token as "Authorization: Bearer <token>".');
    request.auth = await this.sessions.assertActive(await this.verifier.verify(token));
    return true;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  if (!header || header.length > MAX_TOKEN_LENGTH + 7) return undefined;
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  return match?.[1];
}
