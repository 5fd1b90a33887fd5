import type { Request } from 'express';
import type { Actor, SessionGrant } from '../../session/domain/session-grant.js';
import type { SessionReauthentication } from '../../session/domain/session-reauthentication.js';
import type { DeviceKeyProofs } from '../../session/presentation/device-key-proofs.js';
import { passwordRequired } from '../domain/account.errors.js';

/**
 * A reauthenticate request, GraphQL's or REST's: by password, or without one by the request's
 * own DPoP proof (checked by the guard against the token) carrying a fresh server nonce.
 */
export async function reauthenticateBy(
  parts: { reauthentication: SessionReauthentication; deviceKeys: DeviceKeyProofs },
  actor: Actor,
  password: string | null | undefined,
  request: Request,
): Promise<SessionGrant> {
  if (password) return parts.reauthentication.withPassword(actor, password);
  const proof = await parts.deviceKeys.withFreshNonce(request);
  if (!proof) throw passwordRequired();
  return parts.reauthentication.withDeviceKey(actor, proof);
}
