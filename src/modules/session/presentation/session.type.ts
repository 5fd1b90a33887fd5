import { Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DeviceObjectType } from '../../device/presentation/device.type.js';
import { UserType } from '../../user/presentation/user.type.js';
import { SessionEndReason, SessionStatus } from '../domain/session.js';

registerEnumType(SessionStatus, { name: 'SessionStatus' });
registerEnumType(SessionEndReason, { name: 'SessionEndReason' });

@ObjectType('Session')
export class SessionType {
  @Field(() => ID)
  id: string;

  @Field(() => ID)
  userId: string;

  /** Resolved through DeviceLoader; not a GraphQL field itself. */
  deviceId: string;

  /** Already known (real-time events carry it); spares the loader. */
  preloadedDevice?: DeviceObjectType;

  @Field(() => Boolean, { description: "True for the session that the caller's access token belongs to." })
  current: boolean;

  @Field(() => SessionStatus)
  status: SessionStatus;

  @Field(() => SessionEndReason, { nullable: true })
  endReason: SessionEndReason | null;

  @Field(() => GraphQLISODateTime)
  createdAt: Date;

  @Field(() => GraphQLISODateTime, {
    description: 'When the user last proved who they are on this session: the login, or a later reauthenticate.',
  })
  authenticatedAt: Date;

  @Field(() => Boolean, { description: 'True when the session’s refresh token is bound to a device key (DPoP, RFC 9449).' })
  deviceBound: boolean;

  @Field(() => GraphQLISODateTime)
  lastActivityAt: Date;

  @Field(() => GraphQLISODateTime, {
    description: 'When the session ends if nothing happens on it: lastActivityAt + idle timeout.',
  })
  idleExpiresAt: Date;

  @Field(() => GraphQLISODateTime, { description: 'When the session ends whatever happens: its absolute lifetime.' })
  expiresAt: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  endedAt: Date | null;

  @Field(() => String, { nullable: true })
  ipAddress: string | null;

  @Field(() => String, { nullable: true })
  userAgent: string | null;
}

@ObjectType('TokenPair')
export class TokenPairType {
  /** `Bearer`, or `DPoP` for a device-bound session: the scheme to send the access token with. */
  @Field(() => String)
  tokenType: string;

  /** An RS256 JWT (RFC 9068), verifiable with /.well-known/jwks.json. */
  @Field(() => String)
  accessToken: string;

  @Field(() => GraphQLISODateTime)
  accessTokenExpiresAt: Date;

  /** Opaque; good for one refresh (it rotates). */
  @Field(() => String)
  refreshToken: string;

  @Field(() => GraphQLISODateTime)
  refreshTokenExpiresAt: Date;
}

@ObjectType('SessionPayload')
export class SessionPayloadType {
  @Field(() => TokenPairType)
  tokens: TokenPairType;

  @Field(() => SessionType)
  session: SessionType;

  @Field(() => UserType)
  user: UserType;
}

/** For REST, which has no field resolvers: the session with its device inlined. */
export type SessionWithDevice = Omit<SessionType, 'deviceId'> & { device: DeviceObjectType | null };
