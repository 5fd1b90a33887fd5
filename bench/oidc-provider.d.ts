/**
 * The part of oidc-provider's API the bench's peer uses (the package ships no types, and
 * @types/oidc-provider would be a second dependency for one file).
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface Account {
    accountId: string;
    claims(): Record<string, unknown>;
  }

  interface StoredModel {
    save(): Promise<string>;
  }

  interface GrantModel extends StoredModel {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
  }

  class Provider {
    constructor(
      issuer: string,
      configuration: Record<string, unknown> & { findAccount: (ctx: unknown, accountId: string) => Account | Promise<Account> },
    );
    readonly Client: { find(clientId: string): Promise<object | undefined> };
    readonly Grant: new (properties: { accountId: string; clientId: string }) => GrantModel;
    readonly RefreshToken: new (properties: Record<string, unknown>) => StoredModel;
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }

  export default Provider;
}
