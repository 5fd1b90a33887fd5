import { Injectable } from '@nestjs/common';
import type { GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import { parse, specifiedRules, validate, GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Context, SubscribeMessage } from 'graphql-ws';
import { DomainError } from '../../../common/domain-error.js';
import type { GraphQLRequestContext, SessionConnection } from '../../../graphql/request-context.js';
import { queryLimitProtections, QUERY_LIMITS } from '../../../graphql/query-limits.js';
import { TokenVerifier } from '../../token/domain/token-verifier.js';
import { SessionAuthenticator } from '../domain/session-authenticator.js';
import { bearerToken } from './token.guard.js';
import { SessionSocketRegistry } from './session-socket-registry.js';

interface SocketExtra {
  readonly socket: SessionConnection['socket'];
  connection?: SessionConnection;
}

type SocketContext = Context<Record<string, unknown> | undefined, SocketExtra>;

const UNAUTHORIZED_CLOSE_CODE = 4401;
const FORBIDDEN_CLOSE_CODE = 4403;

/**
 * graphql-ws on /graphql: authentication in connection_init, the connection bound to its
 * session, and the same query limits as over HTTP.
 */
@Injectable()
export class SessionWebSocket {
  private readonly limits = queryLimitProtections();

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly authenticator: SessionAuthenticator,
    private readonly sockets: SessionSocketRegistry,
  ) {}

  /** Nest passes every graphql-ws server option through (`validate` too), though its type names only some. */
  options(): GraphQLWsSubscriptionsConfig {
    const options = {
      connectionInitWaitTimeout: 5_000,
      onConnect: (ctx: SocketContext) => this.onConnect(ctx),
      onClose: (ctx: SocketContext) => this.sockets.remove(ctx.extra.connection),
      onSubscribe: (_ctx: unknown, _id: string, payload: SubscribeMessage['payload']) => this.checkTokens(payload.query),
      validate: (schema: GraphQLSchema, document: DocumentNode) =>
        validate(schema, document, [...specifiedRules, ...this.limits.validationRules]).map(asBadUserInput),
    };
    return options as unknown as GraphQLWsSubscriptionsConfig;
  }

  /** The context for operations over this socket: its claims stand in for the HTTP request's. */
  static context(extra: SocketExtra): GraphQLRequestContext {
    const connection = extra.connection;
    return { req: { headers: {}, auth: connection?.claims } as GraphQLRequestContext['req'], connection };
  }

  private async onConnect(ctx: SocketContext): Promise<boolean> {
    const { socket } = ctx.extra;
    const header = ctx.connectionParams?.authorization;
    const token = typeof header === 'string' ? bearerToken(header) : undefined;
    if (!token) {
      socket.close(UNAUTHORIZED_CLOSE_CODE, 'Send { authorization: "Bearer <access token>" } in connection_init');
      return false;
    }
    try {
      const claims = await this.verifier.verify(token);
      await this.authenticator.assertActive(claims);
      ctx.extra.connection = this.sockets.add(claims, socket);
      return true;
    } catch (error) {
      const code = error instanceof DomainError ? error.code : 'SERVICE_UNAVAILABLE';
      const ended = code === 'SESSION_REVOKED' || code === 'SESSION_EXPIRED';
      socket.close(ended ? FORBIDDEN_CLOSE_CODE : UNAUTHORIZED_CLOSE_CODE, code);
      return false;
    }
  }

  /** graphql's parser stops at the token limit, as over HTTP. */
  private checkTokens(query: string): GraphQLError[] | void {
    try {
      parse(query, { maxTokens: QUERY_LIMITS.maxTokens });
    } catch (error) {
      return [asBadUserInput(error as GraphQLError)];
    }
  }
}

function asBadUserInput(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'BAD_USER_INPUT' } });
}
