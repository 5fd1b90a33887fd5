/** What an account may do. Here because tokens, sessions and devices decide on it as much as accounts do. */
export enum Role {
  USER = 'USER',
  ADMIN = 'ADMIN',
}
