import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import { AuthGuard } from '@nestjs/passport';
import type { Response } from 'express';
import passport from 'passport';
import { unauthenticated } from '../../../common/domain-error.js';
import { IS_PUBLIC } from '../../../common/public.decorator.js';
import { requestOf, type AuthenticatedRequest, type GraphQLRequestContext } from '../../../graphql/request-context.js';
import type { AccessTokenClaims } from '../../../kernel/access-token-claims.js';
import { invalidToken, TokenVerifier } from '../../token/domain/token-verifier.js';
import { SessionAuthenticator } from '../domain/session-authenticator.js';
import { accessTokenOf, presentedAccessToken } from './bearer-token.js';
import { assertMadeBy, boundKeyOf, DeviceKeyProofs } from './device-key-proofs.js';
import { TokenStrategy } from './token.strategy.js';

interface PassportOutcome {
  readonly error: unknown;
  readonly user: unknown;
  readonly info: unknown;
}
type PassportMiddleware = (request: AuthenticatedRequest, response: Response | undefined, next: (error?: unknown) => void) => void;

/**
 * Runs before every GraphQL operation and REST route that is not marked @Public(): the bearer
 * token must verify (TokenStrategy), and its session must be active and not idle. Operations
 * over a graphql-ws socket were authenticated at connection_init and carry no header: for them
 * the connection's session is checked.
 */
@Injectable()
export class TokenGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly strategy: TokenStrategy,
    private readonly verifier: TokenVerifier,
    private readonly sessions: SessionAuthenticator,
    private readonly deviceKeys: DeviceKeyProofs,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = this.getRequest(context);
    if (!request) return false;
    const connection =
      context.getType<string>() === 'graphql'
        ? GqlExecutionContext.create(context).getContext<GraphQLRequestContext>().connection
        : undefined;
    if (connection) {
      // An operation over a socket authenticated at connection_init (its token's expiry is checked
      // per operation by SessionWebSocket): its session must still be active.
      request.auth = await this.sessions.assertActive(connection.claims);
      return true;
    }
    // A token verified before skips passport: jsonwebtoken would check its signature again (about
    // 35 µs) and passport would dress Express's request for it (about 20 µs), for a token an app
    // sends with every request for up to an hour. Its expiry is checked again, as on every use.
    const presented = presentedAccessToken(request.headers.authorization);
    const verifiedBefore = presented === undefined ? undefined : this.verifier.claimsVerifiedBefore(presented.token);
    const claims = verifiedBefore ? await this.sessions.assertActive(verifiedBefore) : await this.authenticate(request, context);
    // A token bound to a device key (RFC 9449) proves possession on every request, whichever path
    // verified it, with the request's proof naming the token; a bearer token goes on at once.
    const bound = presented && boundKeyOf(claims, presented.scheme);
    if (presented && bound) assertMadeBy(await this.deviceKeys.of(request, presented.token), bound);
    request.auth = claims;
    return true;
  }

  /** GraphQL operations carry the HTTP request in their context; REST routes are the request. */
  override getRequest(context: ExecutionContext): AuthenticatedRequest | undefined {
    return requestOf(context);
  }

  getResponse(context: ExecutionContext): Response | undefined {
    return this.getRequest(context)?.res;
  }

  /**
   * Today's codes and messages, not AuthGuard's bare 401: an error raised while checking (an
   * expired token, an ended session, a database that does not answer) as it was raised; a missing
   * token and a refused one each with their own message.
   */
  override handleRequest<TUser = AccessTokenClaims>(error: unknown, user: unknown, _info: unknown, context: ExecutionContext): TUser {
    if (error) throw error as Error;
    if (user) return user as TUser;
    if (accessTokenOf(this.getRequest(context)?.headers.authorization) === undefined) {
      throw unauthenticated('Send an access token as "Authorization: Bearer <token>".');
    }
    throw invalidToken();
  }

  /**
   * What AuthGuard('jwt') does, with this app's TokenStrategy rather than the 'jwt' in passport's
   * registry, which is one per process: with two apps in one process (the multi-instance tests),
   * every request would otherwise be checked with the keys, caches and database of the app built
   * last. passport dresses the strategy it is given with the request's success and fail, so each
   * request gets an object of its own, as passport makes for a strategy it looks up by name.
   */
  private async authenticate(request: AuthenticatedRequest, context: ExecutionContext): Promise<AccessTokenClaims> {
    const strategy = Object.create(this.strategy) as TokenStrategy;
    const outcome = await new Promise<PassportOutcome>((resolve) => {
      const decide = (error: unknown, user: unknown, info: unknown) => resolve({ error, user, info });
      const middleware = passport.authenticate(strategy, { session: false }, decide) as PassportMiddleware;
      // passport-jwt decides every request itself; one passed on undecided is refused all the same.
      middleware(request, this.getResponse(context), (error?: unknown) => resolve({ error, user: false, info: undefined }));
    });
    return this.handleRequest<AccessTokenClaims>(outcome.error, outcome.user, outcome.info, context);
  }
}
