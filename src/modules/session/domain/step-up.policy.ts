/**
 * Whether a proof of identity made at `authenticatedAt` still stands at `now` for a sensitive
 * operation (RFC 9470's max_age): a login, or a reauthenticate, within `maxAgeMs`. A proof dated
 * after `now` (another instance's clock a little ahead) stands.
 */
export function isRecentProof(authenticatedAt: Date, now: Date, maxAgeMs: number): boolean {
  return now.getTime() - authenticatedAt.getTime() <= maxAgeMs;
}
