import type { ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Request } from 'express';
import type { AccessTokenClaims } from '../modules/token/domain/access-token.js';

export interface AuthenticatedRequest extends Request {
  /** Set by TokenGuard once the token and its session have been checked. */
  auth?: AccessTokenClaims;
}

/** The GraphQL context: the HTTP request, plus per-request caches keyed on this object. */
export interface GraphQLRequestContext {
  readonly req: AuthenticatedRequest;
}

export function requestOf(context: ExecutionContext): AuthenticatedRequest | undefined {
  if (context.getType<string>() === 'graphql') {
    return GqlExecutionContext.create(context).getContext<GraphQLRequestContext>().req;
  }
  if (context.getType() === 'http') return context.switchToHttp().getRequest<AuthenticatedRequest>();
  return undefined;
}
