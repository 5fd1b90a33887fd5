export interface RefreshRetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * The wait before try `attempt + 1`: exponential with jitter, so that many apps cut off together
 * do not come back together, and never shorter than the service asked for (Retry-After).
 */
export function backoffMs(policy: RefreshRetryPolicy, attempt: number, retryAfterSeconds: number | undefined): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = exponential / 2 + Math.random() * (exponential / 2);
  const asked = retryAfterSeconds === undefined ? 0 : Math.min(policy.maxDelayMs, retryAfterSeconds * 1000);
  return Math.max(jittered, asked);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
