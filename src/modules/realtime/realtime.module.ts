import { Module } from '@nestjs/common';
import type { GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import type { GraphQLRequestContext } from '../../graphql/request-context.js';
import { DeviceModule } from '../device/device.module.js';
import { SessionModule } from '../session/session.module.js';
import { TokenModule } from '../token/token.module.js';
import { SessionOutboxRepository } from './data/session-outbox.repository.js';
import { SessionEventOutbox } from './domain/session-event-outbox.js';
import { SessionEventHistory } from './domain/session-event-history.js';
import { SessionEventPublisher } from './domain/session-event-publisher.js';
import { SessionEventRelay } from './domain/session-event-relay.js';
import { SessionEventsResolver } from './presentation/session-events.resolver.js';
import { SessionSocketRegistry } from './presentation/session-socket-registry.js';
import { SessionWebSocket, type SocketExtra } from './presentation/session-websocket.js';

/** What the GraphQL module needs to serve graphql-ws: the server's options, and an operation's context over a socket. */
export interface GraphQLWebSocketSetup {
  readonly options: GraphQLWsSubscriptionsConfig;
  readonly context: (extra: SocketExtra) => GraphQLRequestContext;
}

/** Injected into GraphQLModule's factory, so that the app's root depends on this module and on nothing inside it. */
export const GRAPHQL_WEBSOCKET_SETUP = Symbol('GRAPHQL_WEBSOCKET_SETUP');

/**
 * Sessions in real time: committed changes become each user's SessionEvents on the bus, the
 * `sessionEvents` subscription delivers them, and graphql-ws sockets are admitted, bound to their
 * session and closed when it ends.
 */
@Module({
  imports: [SessionModule, TokenModule, DeviceModule],
  providers: [
    SessionEventPublisher,
    SessionOutboxRepository,
    SessionEventOutbox,
    SessionEventRelay,
    SessionEventHistory,
    SessionSocketRegistry,
    SessionEventsResolver,
    SessionWebSocket,
    {
      provide: GRAPHQL_WEBSOCKET_SETUP,
      inject: [SessionWebSocket],
      useFactory: (webSocket: SessionWebSocket): GraphQLWebSocketSetup => ({
        options: webSocket.options(),
        context: (extra) => SessionWebSocket.context(extra),
      }),
    },
  ],
  exports: [GRAPHQL_WEBSOCKET_SETUP, SessionEventRelay],
})
export class RealtimeModule {}
