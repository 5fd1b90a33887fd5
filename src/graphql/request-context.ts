import type { ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Request } from 'express';
import type { ClientInfo } from '../kernel/client-info.js';
import type { AccessTokenClaims } from '../kernel/access-token-claims.js';

export interface AuthenticatedRequest extends Request {
  /** Set by TokenGuard once the token and its session have been checked. */
  auth?: AccessTokenClaims;
}

/** A graphql-ws connection, authenticated in connection_init and bound to that session. */
export interface SessionConnection {
  readonly claims: AccessTokenClaims;
  /** The upgrade request's address and user agent, by the same TRUST_PROXY rules as HTTP. */
  readonly client: ClientInfo;
  readonly socket: { readonly readyState: number; close(code: number, reason: string): void };
  /** Open sessionEvents subscriptions on this socket. */
  subscriptions: number;
}

/**
 * The GraphQL context: the HTTP request (over WebSocket, a stand-in carrying the connection's
 * claims), the connection for subscriptions, plus per-request caches keyed on this object.
 */
export interface GraphQLRequestContext {
  readonly req: AuthenticatedRequest;
  readonly connection?: SessionConnection;
}

export function requestOf(context: ExecutionContext): AuthenticatedRequest | undefined {
  if (context.getType<string>() === 'graphql') {
    return GqlExecutionContext.create(context).getContext<GraphQLRequestContext>().req;
  }
  if (context.getType() === 'http') return context.switchToHttp().getRequest<AuthenticatedRequest>();
  return undefined;
}
