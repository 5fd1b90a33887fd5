/** What an account may do. Here because tokens, sessions and devices decide on it as much as accounts do. */
export enum Role {
  USER = 'USER',
  ADMIN = 'ADMIN',
}

/** The same roles, in any order. */
export function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((role) => b.includes(role));
}
