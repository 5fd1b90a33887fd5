/** argon2id's cost: memory in KiB, passes, lanes. */
export interface PasswordHashCost {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** OWASP's recommended minimum for argon2id (m=19 MiB, t=2, p=1): the service's cost, and the only one `main.ts` runs with. */
export const OWASP_PASSWORD_HASH_COST: PasswordHashCost = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const PASSWORD_HASH_COST = Symbol('PASSWORD_HASH_COST');
