import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Context, SubscribeMessage } from 'graphql-ws';
import { DomainError } from '../../../common/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { formatGraphQLError } from '../../../graphql/graphql-error.formatter.js';
import type { GraphQLRequestContext, SessionConnection } from '../../../graphql/request-context.js';
import { queryLimitProtections, QUERY_LIMITS } from '../../../graphql/query-limits.js';
import { TokenVerifier } from '../../token/domain/token-verifier.js';
import { SessionAuthenticator } from '../../session/domain/session-authenticator.js';
import { clientInfoOfUpgrade, trustProxyOf } from '../../session/presentation/client-info.js';
import { presentedAccessToken, type PresentedAccessToken } from '../../session/presentation/bearer-token.js';
import { assertMadeBy, boundKeyOf } from '../../session/presentation/device-key-proofs.js';
import { DpopProofVerifier } from '../../token/domain/dpop-proof-verifier.js';
import { invalidDpopProof } from '../../token/domain/dpop-proof.js';
import type { AccessTokenClaims } from '../../../kernel/access-token-claims.js';
import {
  SESSION_ENDED_CLOSE_CODE,
  SessionSocketRegistry,
  SocketCapReached,
  TOKEN_EXPIRED_CLOSE_CODE,
  TOO_MANY_CLOSE_CODE,
} from './session-socket-registry.js';

/** What graphql-ws keeps for each socket: ours is the connection admitted in connection_init. */
export interface SocketExtra {
  readonly socket: SessionConnection['socket'];
  readonly request: IncomingMessage;
  connection?: SessionConnection;
}

type SocketContext = Context<Record<string, unknown> | undefined, SocketExtra>;

/**
 * Mutations that hand out or take credentials are answered over HTTP only: there they meet the
 * login and refresh limits per client address, the Cache-Control rules for token responses and
 * the access log, and a socket has no business logging in again or carrying a password.
 */
const HTTP_ONLY_MUTATIONS = new Set(['createSession', 'refreshSession', 'register', 'reauthenticate', 'changePassword']);

/**
 * graphql-ws on /graphql, under the same rules as HTTP: authentication in connection_init, the
 * connection bound to its session and closed when the session ends or the token expires, every
 * operation checked against the token's expiry and the session (by the guard), the same query
 * limits and error codes, introspection off in production, and caps on connections and on
 * operations in flight.
 */
@Injectable()
export class SessionWebSocket {
  private readonly validationRules: readonly ValidationRule[];
  private readonly trustProxy;

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly authenticator: SessionAuthenticator,
    private readonly sockets: SessionSocketRegistry,
    private readonly dpop: DpopProofVerifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const production = config.nodeEnv === 'production';
    this.validationRules = [
      ...specifiedRules,
      ...queryLimitProtections().validationRules,
      httpOnlyMutationsRule,
      ...(production ? [NoSchemaIntrospectionCustomRule] : []),
    ];
    this.trustProxy = trustProxyOf(config.trustProxy);
  }

  /** Nest passes every graphql-ws server option through (`validate` too), though its type names only some. */
  options(): GraphQLWsSubscriptionsConfig {
    const options = {
      connectionInitWaitTimeout: 5_000,
      onConnect: (ctx: SocketContext) => this.onConnect(ctx),
      onClose: (ctx: SocketContext) => this.sockets.remove(ctx.extra.connection),
      onSubscribe: (ctx: SocketContext, _id: string, payload: SubscribeMessage['payload']) => this.onSubscribe(ctx, payload),
      validate: (schema: GraphQLSchema, document: DocumentNode) => validate(schema, document, this.validationRules).map(asBadUserInput),
      onNext: (_ctx: SocketContext, _id: string, _payload: unknown, _args: unknown, result: ExecutionResult) =>
        result.errors ? { ...result, errors: result.errors.map(formatSocketError) } : undefined,
      onError: (_ctx: SocketContext, _id: string, _payload: unknown, errors: readonly GraphQLError[]) => errors.map(formatSocketError),
    };
    return options as unknown as GraphQLWsSubscriptionsConfig;
  }

  /** The context for operations over this socket: its claims and client stand in for the HTTP request's. */
  static context(extra: SocketExtra): GraphQLRequestContext {
    const connection = extra.connection;
    const headers = connection?.client.userAgent ? { 'user-agent': connection.client.userAgent } : {};
    const req = { headers, ip: connection?.client.ipAddress ?? undefined, auth: connection?.claims };
    return { req: req as GraphQLRequestContext['req'], connection };
  }

  private async onConnect(ctx: SocketContext): Promise<boolean> {
    const { socket, request } = ctx.extra;
    const header = ctx.connectionParams?.authorization;
    const presented = typeof header === 'string' ? presentedAccessToken(header) : undefined;
    if (!presented) {
      socket.close(TOKEN_EXPIRED_CLOSE_CODE, 'Send { authorization: "Bearer <access token>" } in connection_init');
      return false;
    }
    try {
      const claims = await this.verifier.verify(presented.token);
      await this.assertPossession(claims, presented, ctx.connectionParams?.dpop, request);
      await this.authenticator.assertActive(claims);
      ctx.extra.connection = this.sockets.admit(claims, socket, clientInfoOfUpgrade(request, this.trustProxy));
      return true;
    } catch (error) {
      if (error instanceof SocketCapReached) {
        socket.close(TOO_MANY_CLOSE_CODE, error.message);
        return false;
      }
      const code = error instanceof DomainError ? error.code : 'SERVICE_UNAVAILABLE';
      const ended = code === 'SESSION_REVOKED' || code === 'SESSION_EXPIRED';
      socket.close(ended ? SESSION_ENDED_CLOSE_CODE : TOKEN_EXPIRED_CLOSE_CODE, code);
      return false;
    }
  }

  /**
   * A session bound to a device key (RFC 9449) connects with `{ authorization: "DPoP <token>",
   * dpop: <proof> }`: a proof by that key for GET on the URL the socket was opened to (its ws: or
   * http: form), naming the token (`ath`). The binding is checked once, here; the socket then
   * lives and dies with its session like any other.
   */
  private async assertPossession(
    claims: AccessTokenClaims,
    presented: PresentedAccessToken,
    proof: unknown,
    request: IncomingMessage,
  ): Promise<void> {
    const bound = boundKeyOf(claims, presented.scheme);
    if (!bound) return;
    if (typeof proof !== 'string') throw invalidDpopProof('Connect with { authorization: "DPoP <token>", dpop: <proof> }.');
    const host = request.headers.host ?? 'localhost';
    const path = request.url ?? '/graphql';
    const secure = (request.socket as { encrypted?: boolean }).encrypted === true || this.forwardedHttps(request);
    const candidates = [`${secure ? 'wss' : 'ws'}://${host}${path}`, `${secure ? 'https' : 'http'}://${host}${path}`];
    assertMadeBy(await this.dpop.verifyAgainstAny(proof, candidates, { method: 'GET', accessToken: presented.token }), bound);
  }

  /** X-Forwarded-Proto only from a proxy TRUST_PROXY names, as Express reads it for HTTP. */
  private forwardedHttps(request: IncomingMessage): boolean {
    const remote = request.socket.remoteAddress;
    return remote !== undefined && this.trustProxy(remote, 0) && request.headers['x-forwarded-proto'] === 'https';
  }

  /**
   * Before graphql-ws parses and validates: the token must not have expired since connect (the
   * socket then closes with 4401, once the refusal is on its way), at most
   * WS_MAX_SUBSCRIPTIONS_PER_CONNECTION operations may run at once, and the parser stops at the
   * token limit as over HTTP.
   */
  private onSubscribe(ctx: SocketContext, payload: SubscribeMessage['payload']): GraphQLError[] | void {
    const connection = ctx.extra.connection;
    if (!connection) return [clientError(new DomainError('UNAUTHENTICATED', 'The connection is not authenticated.'))];
    if (this.sockets.hasExpired(connection)) {
      setImmediate(() => this.sockets.expire(connection));
      return [clientError(new DomainError('TOKEN_EXPIRED', 'The access token has expired; refresh the session and connect again.'))];
    }
    const limit = this.config.socketLimits.subscriptionsPerConnection;
    // graphql-ws has already registered this operation's id.
    if (Object.keys(ctx.subscriptions).length > limit) {
      return [clientError(new DomainError('BAD_USER_INPUT', `At most ${limit} operations may run at once on one connection.`))];
    }
    try {
      parse(payload.query, { maxTokens: QUERY_LIMITS.maxTokens });
    } catch (error) {
      return [asBadUserInput(error as GraphQLError)];
    }
  }
}

function httpOnlyMutationsRule(context: ValidationContext) {
  return {
    Field(node: { name: { value: string } }) {
      if (context.getParentType() === context.getSchema().getMutationType() && HTTP_ONLY_MUTATIONS.has(node.name.value)) {
        context.reportError(
          new GraphQLError(`${node.name.value} is answered over HTTP only: send it as POST /graphql, not over the socket.`, {
            extensions: { code: 'BAD_USER_INPUT' },
          }),
        );
      }
    },
  };
}

function asBadUserInput(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'BAD_USER_INPUT' } });
}

function clientError(error: DomainError): GraphQLError {
  return new GraphQLError(error.message, { originalError: error });
}

/**
 * The formatter HTTP uses, so a socket's errors carry the same extensions.code and message. Two
 * kinds need help first: an error thrown by a subscription's stream reaches graphql-ws without a
 * path, which is how the formatter recognises a resolver's error, so it is unwrapped here; and
 * graphql-js's own request errors (variables that do not coerce, an unknown operation name),
 * which Apollo marks BAD_USER_INPUT over HTTP, arrive here with no code at all.
 */
function formatSocketError(error: GraphQLError): GraphQLError {
  const requestError =
    !error.path && error.extensions?.code === undefined && (!error.originalError || error.originalError instanceof GraphQLError);
  const original = error.originalError instanceof DomainError ? error.originalError : requestError ? asBadUserInput(error) : error;
  const formatted = formatGraphQLError(error.toJSON(), original);
  return new GraphQLError(formatted.message, { nodes: error.nodes, path: error.path, extensions: formatted.extensions });
}
