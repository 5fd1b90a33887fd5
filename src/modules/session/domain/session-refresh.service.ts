import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Clock } from '../../../common/clock.js';
import { DataCipher } from '../../../common/data-cipher.js';
import { accountDisabled } from '../../../common/domain-error.js';
import { hashToken, hasCurrentRefreshTokenFormat, isLegacyRefreshToken, type RefreshTokenClaims } from '../../../common/opaque-token.js';
import type { DomainEvent } from '../../../events/domain-events.js';
import { TokenSigner } from '../../token/domain/token-signer.js';
import { SessionRotationRepository, type LockedRotation, type LockedSession } from '../data/session-rotation.repository.js';
import type { RotationWrite } from '../data/session-rotation.sql.js';
import { SessionRepository } from '../data/session.repository.js';
import { addressKnownSince } from '../../activity/domain/session-activity.js';
import type { Device } from '../../device/domain/device.js';
import type { User } from '../../user/domain/user.js';
import type { Session } from './session.js';
import { SessionEndReason, SessionStatus } from './session.js';
import { deviceKeyRequired, invalidRefreshToken, refreshTokenReused, sessionEnded } from './session.errors.js';
import { signedGrant, type DeviceKey, type RefreshedGrant } from './session-grant.js';
import { statusForEndReason } from './session-expiry.policy.js';
import { decideRefresh, recognisedGeneration, type RefreshDecision } from './token-rotation.policy.js';
import { RefreshTokens, type RefreshTokenCodec } from './refresh-tokens.js';
import { SessionTerminator } from './session-terminator.js';
import { UserChange } from './user-change.js';
import { refreshedMessage } from '../../realtime/domain/session-event.js';
import { SessionLoginThrottle } from './session-login-throttle.js';
import type { ClientInfo } from '../../../kernel/client-info.js';

type RefreshOutcome =
  | {
      readonly ok: true;
      readonly session: Session;
      readonly user: User;
      readonly device: Device;
      readonly refreshToken: string;
      readonly generation: number;
      readonly events: DomainEvent[];
      readonly rotated: boolean;
      readonly decidedUnderLocks: boolean;
    }
  | { readonly ok: false; readonly error: Error; readonly events: DomainEvent[] };

/** A current-format refresh token whose MAC checked out, with its hash. */
type CurrentToken = { readonly format: 'current'; readonly claims: RefreshTokenClaims; readonly hash: Buffer };

/** A presented refresh token that may be ours: current format with a valid MAC, or legacy format (refresh_tokens). */
type PresentedToken = CurrentToken | { readonly format: 'legacy'; readonly hash: Buffer };

export const successorAssociatedData = (sessionId: string, generation: number) => `refresh-successor:${sessionId}:${generation}`;

/** Refresh-token rotation with replay and reuse detection (DESIGN.md decision 4). */
@Injectable()
export class SessionRefreshService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly rotations: SessionRotationRepository,
    private readonly terminator: SessionTerminator,
    private readonly userChange: UserChange,
    private readonly throttle: SessionLoginThrottle,
    private readonly signer: TokenSigner,
    private readonly tokens: RefreshTokens,
    private readonly cipher: DataCipher,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.rotatesUnlocked = config.database.kind === 'postgres';
  }

  /**
   * Whether a plain rotation goes by read and conditional write (rotateUnlocked). Only on
   * PostgreSQL: what it saves is two round trips over the network, and the embedded database runs
   * every statement in-process, where the round trips cost next to nothing and planning its larger
   * read costs more (0.85x the refreshes per second there, bench/HISTORY.md).
   */
  private readonly rotatesUnlocked: boolean;

  /** `deviceKey`: the key of the DPoP proof the refresh came with (checked, with a fresh nonce), if any. */
  async refresh(presentedToken: string, client: ClientInfo, deviceKey?: DeviceKey): Promise<RefreshedGrant> {
    await this.throttle.assertRefreshAllowed(client.ipAddress);
    if (!mayBeRefreshToken(presentedToken)) throw invalidRefreshToken();
    // Before the transaction: loading the key is a query of its own (once per process).
    const tokens = await this.tokens.codec();
    const presented = identify(tokens, presentedToken);
    if (!presented) throw invalidRefreshToken();

    const outcome =
      (this.rotatesUnlocked && presented.format === 'current' && (await this.rotateUnlocked(presented, tokens, client, deviceKey))) ||
      (await this.sessions.transaction(async (tx): Promise<RefreshOutcome> => {
        const locked = await this.lockPresented(tx, presented);
        if (!locked) return { ok: false, error: invalidRefreshToken(), events: [] };
        const now = this.clock.now();
        const decision = this.decide(locked, now);
        if (decision.kind === 'invalid') return { ok: false, error: invalidRefreshToken(), events: [] };
        // Read under the user's lock with the token: the disable's own change ended the sessions.
        if (locked.user.disabledAt) return { ok: false, error: accountDisabled(), events: [] };
        const { session, user, device } = locked;
        // Before anything the token could set off (reuse ends the session): without the device's
        // key, a copied token changes nothing, and the device that holds the key goes on.
        if (lacksBoundKey(locked, decision, deviceKey)) {
          return { ok: false, error: deviceKeyRequired(), events: await this.refuseCopy(tx, locked, now, client) };
        }

        switch (decision.kind) {
          case 'ended':
            return { ok: false, error: sessionEnded(decision.status), events: [] };
          case 'expire':
            return {
              ok: false,
              error: sessionEnded(SessionStatus.EXPIRED),
              events: await this.end(tx, locked, decision.reason, now, client),
            };
          case 'reuse':
            return {
              ok: false,
              error: refreshTokenReused(),
              events: await this.end(tx, locked, SessionEndReason.REFRESH_TOKEN_REUSED, now, client),
            };
          case 'replay': {
            // Not a change: the client gets again what it was already given.
            const generation = locked.rotation.generation;
            // Only another instance whose clock runs ahead can have deleted it while the policy here still replays.
            if (!locked.successorCiphertext) return { ok: false, error: invalidRefreshToken(), events: [] };
            const successor = this.cipher.decrypt(locked.successorCiphertext, successorAssociatedData(session.id, generation));
            await this.rotations.recordReplay(tx, { session, now, ...client, activityId: randomUUID() });
            return {
              ok: true,
              session,
              user,
              device,
              refreshToken: successor.toString('utf8'),
              generation,
              events: [],
              rotated: false,
              decidedUnderLocks: true,
            };
          }
          case 'rotate': {
            const next = this.nextGeneration(locked, tokens, now, client);
            const { session: rotated, version, recorded } = await this.rotations.rotate(tx, next.write);
            const events = await this.userChange.within(tx, { userId: user.id, version, now, client }, (change) =>
              change.emitWritten({ type: 'SESSION_REFRESHED', version, session: rotated, device: next.device, recorded, client }),
            );
            return { ...next.outcome, session: rotated, events, decidedUnderLocks: true };
          }
        }
      }));

    this.userChange.published(outcome.events);
    if (!outcome.ok) throw outcome.error;

    const { user, device } = outcome;
    const grant = await signedGrant(this.signer, {
      session: outcome.session,
      device,
      user,
      generation: outcome.generation,
      refreshToken: outcome.refreshToken,
    });
    return { ...grant, refreshOutcome: outcome.rotated ? 'rotated' : 'replayed', decidedUnderLocks: outcome.decidedUnderLocks };
  }

  /**
   * RFC 7009 revocation with a refresh token: its holder ends the session, except that a token
   * refresh would call reuse has the consequences of reuse here too, since a logout would let
   * whoever took a copy dispose of the evidence. False when the token is not one of ours.
   */
  async revoke(presentedToken: string, client: ClientInfo, deviceKey?: DeviceKey): Promise<boolean> {
    if (!mayBeRefreshToken(presentedToken)) return false;
    const presented = identify(await this.tokens.codec(), presentedToken);
    if (!presented) return false;
    const events = await this.sessions.transaction(async (tx): Promise<DomainEvent[] | undefined> => {
      const locked = await this.lockPresented(tx, presented);
      if (!locked) return undefined;
      const now = this.clock.now();
      const decision = this.decide(locked, now);
      // A copy without the device's key cannot sign the device out either; answered as RFC 7009 answers any token.
      if (lacksBoundKey(locked, decision, deviceKey)) return this.refuseCopy(tx, locked, now, client);
      switch (decision.kind) {
        case 'invalid':
        case 'ended':
          return [];
        case 'expire':
          // It had run out before anyone asked: recorded as what ended it, as refresh records it.
          return this.end(tx, locked, decision.reason, now, client);
        case 'reuse':
          return this.end(tx, locked, SessionEndReason.REFRESH_TOKEN_REUSED, now, client);
        case 'rotate':
        case 'replay':
          // The current token, or a parent refresh would still answer: the app itself may hold either.
          return this.end(tx, locked, SessionEndReason.LOGOUT, now, client);
      }
    });
    if (!events) return false;
    this.userChange.published(events);
    return true;
  }

  /**
   * The common refresh, a rotation that raises no alert, in two round trips and no transaction:
   * read, decide, then one statement that writes only if nothing it was decided on has changed
   * (ROTATE_IF_UNCHANGED_SQL). Undefined, having written nothing, for everything else: a replay,
   * reuse, an ended or unknown session, a missing device key, an alert to raise, or a change by
   * anyone in between. The locking transaction then decides as it always has, so each answer is
   * the one it would have given alone. A rotation costs four round trips that way (bench/HISTORY.md).
   */
  private async rotateUnlocked(
    presented: CurrentToken,
    tokens: RefreshTokenCodec,
    client: ClientInfo,
    deviceKey: DeviceKey | undefined,
  ): Promise<RefreshOutcome | undefined> {
    const now = this.clock.now();
    const read = await this.rotations.readForRefresh(presented.claims.sessionId, {
      ...client,
      addressKnownSince: addressKnownSince(now),
      now,
    });
    if (!read) return undefined;
    const generation = recognisedGeneration(presented.claims.generation, presented.hash, read.rotation.generation, read.tokenHashes);
    if (generation === undefined) return undefined;
    const locked: LockedRotation = { ...read, presentedGeneration: generation };
    const decision = this.decide(locked, now);
    if (decision.kind !== 'rotate' || locked.user.disabledAt || lacksBoundKey(locked, decision, deviceKey)) return undefined;

    const next = this.nextGeneration(locked, tokens, now, client);
    const event = (session: Session, version: number): DomainEvent => ({
      type: 'SESSION_REFRESHED',
      version,
      session,
      device: next.device,
      recorded: read.recorded,
      client,
    });
    if (!this.userChange.recordsItself(event(next.announced, read.userVersion + 1))) return undefined;
    const rotated = await this.rotations.rotateIfUnchanged(next.write, {
      userVersion: read.userVersion,
      tokenHash: presented.hash,
      expiresAt: read.session.expiresAt,
      deviceKeyThumbprint: read.session.deviceKeyThumbprint,
    });
    if (!rotated) return undefined;
    return { ...next.outcome, session: rotated.session, events: [event(rotated.session, rotated.version)], decidedUnderLocks: false };
  }

  /**
   * Generation n+1 of a session at generation n that a refresh rotates: the new token, the
   * rotation's write, and the session and device as that write will leave them. The devices'
   * message is written by the rotation's own statement, so it is built from what that statement
   * will make of the session.
   */
  private nextGeneration(locked: LockedSession, tokens: RefreshTokenCodec, now: Date, client: ClientInfo) {
    const { session, user } = locked;
    const generation = locked.rotation.generation + 1;
    const refreshToken = tokens.mint({ sessionId: session.id, generation });
    const device = { ...locked.device, lastSeenAt: laterOf(locked.device.lastSeenAt, now) };
    const announced: Session = {
      ...session,
      lastActivityAt: laterOf(session.lastActivityAt, now),
      ipAddress: client.ipAddress ?? session.ipAddress,
      userAgent: client.userAgent ?? session.userAgent,
    };
    const write: RotationWrite = {
      sessionId: session.id,
      userId: session.userId,
      deviceId: session.deviceId,
      newGeneration: generation,
      newTokenHash: hashToken(refreshToken),
      successorCiphertext: this.cipher.encrypt(refreshToken, successorAssociatedData(session.id, generation)),
      now,
      ...client,
      activityId: randomUUID(),
      addressKnownSince: addressKnownSince(now),
      event: refreshedMessage(announced, device, now),
    };
    const outcome = { ok: true, user, device, refreshToken, generation, rotated: true } as const;
    return { write, device, announced, outcome };
  }

  /**
   * The presented token's session, locked (user, then session), with the generation the token is
   * in it; undefined when it is no token of a session we have. A session that does not exist and
   * a token the session does not recognise are the same answer, so nothing tells them apart.
   */
  private async lockPresented(tx: EntityManager, presented: PresentedToken): Promise<LockedRotation | undefined> {
    if (presented.format === 'legacy') return this.rotations.lockByLegacyToken(tx, presented.hash);
    const locked = await this.rotations.lockForRefresh(tx, presented.claims.sessionId);
    if (!locked) return undefined;
    const generation = recognisedGeneration(presented.claims.generation, presented.hash, locked.rotation.generation, locked.tokenHashes);
    return generation === undefined ? undefined : { ...locked, presentedGeneration: generation };
  }

  private decide(locked: LockedRotation, now: Date): RefreshDecision {
    return decideRefresh(locked.rotation, locked.presentedGeneration, now, {
      idleTimeoutMs: this.config.sessionIdleTimeoutMs,
      reuseGraceMs: this.config.refreshReuseGraceMs,
    });
  }

  /** A bound session's token came without its key: recorded (and alerted on) in the refresh's transaction; nothing changes. */
  private refuseCopy(tx: EntityManager, locked: LockedRotation, now: Date, client: ClientInfo): Promise<DomainEvent[]> {
    const { session } = locked;
    return this.userChange.within(tx, { userId: session.userId, version: locked.userVersion, now, client }, (change) =>
      change.emit({ type: 'DEVICE_KEY_REFUSED', session, client }),
    );
  }

  /** Ends a session the caller holds locked (user, then session), as a change; the events to publish after the commit. */
  private end(tx: EntityManager, locked: LockedRotation, reason: SessionEndReason, now: Date, client: ClientInfo): Promise<DomainEvent[]> {
    const { session } = locked;
    return this.userChange.within(tx, { userId: session.userId, version: locked.userVersion, now, client }, async (change) => {
      const ended = await this.sessions.end(tx, session.id, statusForEndReason(reason), reason, now);
      // The cause before its consequence, in the log as in the events.
      if (ended && reason === SessionEndReason.REFRESH_TOKEN_REUSED) change.emit({ type: 'REFRESH_TOKEN_REUSED', session: ended, client });
      this.terminator.ended(change, ended ? [ended] : []);
    });
  }
}

/** Either format's shape: what fails this is refused before anything else is asked. */
const mayBeRefreshToken = (token: string): boolean => isLegacyRefreshToken(token) || hasCurrentRefreshTokenFormat(token);

/**
 * Undefined for what cannot be one of our refresh tokens, decided without the database: a
 * forged or altered current-format token fails its MAC here.
 */
function identify(tokens: RefreshTokenCodec, presentedToken: string): PresentedToken | undefined {
  if (isLegacyRefreshToken(presentedToken)) return { format: 'legacy', hash: hashToken(presentedToken) };
  const claims = tokens.read(presentedToken);
  return claims && { format: 'current', claims, hash: hashToken(presentedToken) };
}

/** A live session bound to a device key, presented without a proof by that key. */
function lacksBoundKey(locked: LockedRotation, decision: RefreshDecision, deviceKey: DeviceKey | undefined): boolean {
  const bound = locked.session.deviceKeyThumbprint;
  return bound !== null && decision.kind !== 'ended' && decision.kind !== 'invalid' && deviceKey?.thumbprint !== bound;
}

const laterOf = (a: Date, b: Date): Date => (a.getTime() >= b.getTime() ? a : b);
