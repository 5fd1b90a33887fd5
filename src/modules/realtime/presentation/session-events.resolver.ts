import { Inject } from '@nestjs/common';
import { Context, Resolver, Subscription } from '@nestjs/graphql';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { unauthenticated } from '../../../common/domain-error.js';
import { EventBus, userEventsChannel } from '../../../events/event-bus.js';
import type { GraphQLRequestContext, SessionConnection } from '../../../graphql/request-context.js';
import { toDeviceObject } from '../../device/presentation/device.type.js';
import { toSessionAlertObject } from '../../alert/presentation/session-alert.type.js';
import { toSessionType } from '../../session/presentation/session.presenter.js';
import { endsSession, type SessionEventMessage } from '../domain/session-event.js';
import { SessionEventObjectType } from './session-event.type.js';
import { SessionSocketRegistry } from './session-socket-registry.js';

@Resolver(() => SessionEventObjectType)
export class SessionEventsResolver {
  constructor(
    private readonly bus: EventBus,
    private readonly sockets: SessionSocketRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Subscription(() => SessionEventObjectType, {
    description: "Every change to the caller's sessions, devices and alerts, on all of the caller's devices.",
    resolve(this: SessionEventsResolver, message: SessionEventMessage, _args: unknown, context: GraphQLRequestContext) {
      return this.present(message, context.connection?.claims.sessionId);
    },
  })
  sessionEvents(@Context() context: GraphQLRequestContext): AsyncIterableIterator<SessionEventMessage> {
    if (!context.connection) throw unauthenticated('Subscribe over graphql-ws with an access token in connection_init.');
    return this.streamFor(context.connection);
  }

  /**
   * The user's events, ending with the connection's own session: after its final event has been
   * sent (graphql-ws asks for the next one only then), the socket is closed with 4403.
   */
  private streamFor(connection: SessionConnection): AsyncIterableIterator<SessionEventMessage> {
    const events = this.bus.iterate<SessionEventMessage>(userEventsChannel(connection.claims.userId));
    const sockets = this.sockets;
    let finalEventSent = false;
    let open = true;
    connection.subscriptions += 1;
    const finish = () => {
      if (open) connection.subscriptions -= 1;
      open = false;
    };
    return {
      async next() {
        if (finalEventSent) {
          finish();
          sockets.close(connection);
          await events.return?.();
          return { done: true, value: undefined };
        }
        const result = await events.next();
        if (!result.done && result.value.sessionId === connection.claims.sessionId && endsSession(result.value.type)) {
          finalEventSent = true;
        }
        return result;
      },
      async return() {
        finish();
        await events.return?.();
        return { done: true, value: undefined };
      },
      async throw(error: unknown) {
        finish();
        await events.return?.();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  private present(message: SessionEventMessage, currentSessionId: string | undefined): SessionEventObjectType {
    const device = message.device ? toDeviceObject(message.device) : null;
    const session = message.session ? toSessionType(message.session, currentSessionId, this.config.sessionIdleTimeoutMs) : null;
    if (session && device && device.id === session.deviceId) session.preloadedDevice = device;
    return {
      type: message.type,
      userId: message.userId,
      sessionId: message.sessionId,
      version: message.version,
      occurredAt: message.occurredAt,
      session,
      device,
      alert: message.alert ? toSessionAlertObject(message.alert) : null,
    };
  }
}
