import { Inject } from '@nestjs/common';
import { Args, Context, Int, Resolver, Subscription } from '@nestjs/graphql';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { DomainError, unauthenticated } from '../../../common/domain-error.js';
import { EventBus, userEventsChannel } from '../../../events/event-bus.js';
import type { GraphQLRequestContext, SessionConnection } from '../../../graphql/request-context.js';
import { toDeviceObject } from '../../device/presentation/device.type.js';
import { toSessionAlertObject } from '../../alert/presentation/session-alert.type.js';
import { toSessionType } from '../../session/presentation/session.presenter.js';
import { endsSession, SessionEventType, type SessionEventMessage } from '../domain/session-event.js';
import { SessionEventHistory } from '../domain/session-event-history.js';
import { SessionEventObjectType } from './session-event.type.js';
import { SessionSocketRegistry } from './session-socket-registry.js';

/**
 * What the stream yields after a session's final event: the resolver turns it into a GraphQL
 * error with the code an HTTP request on that session would meet (SESSION_REVOKED or
 * SESSION_EXPIRED), so that client libraries, which show a close code poorly or not at all,
 * hand the app a structured reason before the socket closes with 4403.
 */
interface SessionEndNotice {
  readonly sessionEnded: DomainError;
}

type StreamItem = SessionEventMessage | SessionEndNotice;

function endNoticeFor(message: SessionEventMessage): SessionEndNotice {
  return message.type === SessionEventType.SESSION_EXPIRED
    ? { sessionEnded: new DomainError('SESSION_EXPIRED', 'This session has expired; sign in again.') }
    : { sessionEnded: new DomainError('SESSION_REVOKED', 'This session has been revoked; sign in again.') };
}

@Resolver(() => SessionEventObjectType)
export class SessionEventsResolver {
  constructor(
    private readonly bus: EventBus,
    private readonly sockets: SessionSocketRegistry,
    private readonly history: SessionEventHistory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Subscription(() => SessionEventObjectType, {
    description:
      "Every change to the caller's sessions, devices and alerts, on all of the caller's devices, in the order of `version`, each once. " +
      'With `since`, the events after that version come first (those still kept), so a device that reconnects misses nothing.',
    resolve(this: SessionEventsResolver, item: StreamItem, _args: unknown, context: GraphQLRequestContext) {
      if ('sessionEnded' in item) throw item.sessionEnded;
      return this.present(item, context.connection?.claims.sessionId);
    },
  })
  sessionEvents(
    @Context() context: GraphQLRequestContext,
    @Args('since', {
      type: () => Int,
      nullable: true,
      description: 'The last version this device has seen: the events after it are sent first.',
    })
    since?: number | null,
  ): AsyncIterableIterator<StreamItem> {
    if (!context.connection) throw unauthenticated('Subscribe over graphql-ws with an access token in connection_init.');
    if (since !== undefined && since !== null && since < 0) {
      throw new DomainError('BAD_USER_INPUT', 'since must be a version this subscription sent, 0 or more.', { fields: ['since'] });
    }
    return this.streamFor(context.connection, since ?? undefined);
  }

  /**
   * The user's events, each once and in version order (a repeat of one already sent is dropped,
   * a gap is filled from the outbox before what follows it), ending with the connection's own
   * session: after its final event has been sent (graphql-ws asks for the next one only then)
   * comes the error that says why, then the stream completes and the socket is closed with 4403.
   */
  private streamFor(connection: SessionConnection, since: number | undefined): AsyncIterableIterator<StreamItem> {
    const { userId } = connection.claims;
    // Subscribed before the backlog is read, so that nothing falls between the two.
    const events = this.bus.iterate<SessionEventMessage>(userEventsChannel(userId));
    const { sockets, history } = this;
    const pending: SessionEventMessage[] = [];
    let lastSent = since;
    let backlogRead = since === undefined;
    let endNotice: SessionEndNotice | undefined;
    let endNoticeSent = false;
    let open = true;
    connection.subscriptions += 1;
    const finish = () => {
      if (open) connection.subscriptions -= 1;
      open = false;
    };
    const nextInOrder = async (): Promise<IteratorResult<SessionEventMessage>> => {
      if (!backlogRead) {
        backlogRead = true;
        pending.push(...(await history.missed(userId, since!)));
      }
      for (;;) {
        const queued = pending.shift();
        if (queued) {
          if (lastSent !== undefined && queued.version <= lastSent) continue;
          lastSent = queued.version;
          return { done: false, value: queued };
        }
        const result = await events.next();
        if (result.done) return result;
        const message = result.value;
        if (lastSent !== undefined && message.version <= lastSent) continue;
        if (lastSent !== undefined && message.version > lastSent + 1)
          pending.push(...(await history.missed(userId, lastSent, message.version - 1)));
        pending.push(message);
      }
    };
    return {
      async next(): Promise<IteratorResult<StreamItem>> {
        if (endNotice && !endNoticeSent) {
          endNoticeSent = true;
          return { done: false, value: endNotice };
        }
        if (endNotice) {
          finish();
          // After graphql-ws has sent `complete` for this stream, so the client sees a clean end.
          setImmediate(() => sockets.close(connection));
          await events.return?.();
          return { done: true, value: undefined };
        }
        const result = await nextInOrder();
        if (!result.done && result.value.sessionId === connection.claims.sessionId && endsSession(result.value.type)) {
          endNotice = endNoticeFor(result.value);
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
