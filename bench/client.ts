/** The bench's HTTP side: JSON over fetch (keep-alive), as an app sends it. */
export async function postJson<T>(url: string, body: unknown, accessToken?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

export interface Grant {
  readonly tokens: { readonly accessToken: string; readonly refreshToken: string };
  readonly session: { readonly id: string; readonly userId: string; readonly device: { readonly id: string } };
}

export class BenchClient {
  constructor(readonly baseUrl: string) {}

  async register(email: string, password: string): Promise<void> {
    await postJson(`${this.baseUrl}/graphql`, {
      query: 'mutation($input: RegisterInput!) { register(input: $input) { id } }',
      variables: { input: { email, password } },
    });
  }

  async login(email: string, password: string, deviceId: string): Promise<Grant> {
    const { status, body } = await postJson<Grant>(`${this.baseUrl}/api/auth/session/create`, {
      email,
      password,
      device: { deviceId, type: 'IOS' },
    });
    if (status !== 201) throw new Error(`login answered ${status}: ${JSON.stringify(body)}`);
    return body;
  }

  async refreshRest(refreshToken: string): Promise<string> {
    const { status, body } = await postJson<Grant>(`${this.baseUrl}/api/auth/session/refresh`, { refreshToken });
    if (status !== 200) throw new Error(`refresh answered ${status}`);
    return body.tokens.refreshToken;
  }

  async refreshGraphQL(refreshToken: string): Promise<string> {
    const { body } = await postJson<{ data?: { refreshSession: Grant } }>(`${this.baseUrl}/graphql`, {
      query: 'mutation($input: RefreshSessionInput!) { refreshSession(input: $input) { tokens { accessToken refreshToken } } }',
      variables: { input: { refreshToken } },
    });
    if (!body.data) throw new Error('refresh failed');
    return body.data.refreshSession.tokens.refreshToken;
  }

  async query(query: string, accessToken?: string): Promise<void> {
    const { body } = await postJson<{ errors?: unknown }>(`${this.baseUrl}/graphql`, { query }, accessToken);
    if (body.errors) throw new Error(JSON.stringify(body.errors));
  }
}
