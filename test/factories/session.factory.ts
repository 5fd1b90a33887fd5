import { randomUUID } from 'node:crypto';
import type { GraphQLTestClient } from '../helpers/graphql-client.js';
import { CREATE_SESSION, REFRESH_SESSION, REGISTER } from '../helpers/operations.js';

export const PASSWORD = 'correct horse battery staple';

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly password: string;
}

export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly accessTokenExpiresAt: string;
  readonly refreshTokenExpiresAt: string;
  readonly tokenType: string;
}

export interface LoginResult {
  readonly tokens: TokenPair;
  readonly session: Record<string, any> & { id: string };
  readonly user: Record<string, any> & { id: string };
}

export async function registerUser(graphql: GraphQLTestClient, email = `user-${randomUUID()}@example.com`): Promise<TestUser> {
  const data = await graphql.data(REGISTER, { input: { email, password: PASSWORD } });
  return { id: data.register.id, email, password: PASSWORD };
}

export function deviceInput(overrides: Record<string, unknown> = {}) {
  return {
    deviceId: `device-${randomUUID()}`,
    type: 'IOS',
    name: 'iPhone',
    model: 'iPhone15,2',
    osVersion: '18.1',
    appVersion: '3.2.0',
    ...overrides,
  };
}

export async function login(graphql: GraphQLTestClient, user: TestUser, device = deviceInput()): Promise<LoginResult> {
  const data = await graphql.data(CREATE_SESSION, { input: { email: user.email, password: user.password, device } });
  return data.createSession;
}

export async function refresh(graphql: GraphQLTestClient, refreshToken: string): Promise<LoginResult> {
  const data = await graphql.data(REFRESH_SESSION, { input: { refreshToken } });
  return data.refreshSession;
}
