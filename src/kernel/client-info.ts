/** Where a request came from, as recorded on the session. */
export interface ClientInfo {
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}

/** For work that no request caused, or a caller that did not say where it came from. */
export const UNKNOWN_CLIENT: ClientInfo = { ipAddress: null, userAgent: null };
