import { DeviceKey } from '../test/helpers/device-key.js';

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

  /**
   * A login bound to `device`'s key (DPoP): the first proof brings back the server's nonce, the
   * second uses it, as an app does once. Answers the refresh token; the device keeps the nonce.
   */
  async loginBound(email: string, password: string, deviceId: string, device: BoundDevice): Promise<string> {
    const body = { email, password, device: { deviceId, type: 'IOS' } };
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await device.post(`${this.baseUrl}/api/auth/session/create`, body);
      if (response.status === 201) return ((await response.json()) as Grant).tokens.refreshToken;
    }
    throw new Error('bound login failed');
  }

  /** A refresh of a bound session: a fresh proof per request, with the nonce of the last answer. */
  async refreshRestBound(refreshToken: string, device: BoundDevice): Promise<string> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await device.post(`${this.baseUrl}/api/auth/session/refresh`, { refreshToken });
      if (response.status === 200) return ((await response.json()) as Grant).tokens.refreshToken;
      await response.body?.cancel();
    }
    throw new Error('bound refresh failed');
  }
}

/** A device with its own key, signing one DPoP proof per request and keeping the server's latest nonce. */
export class BoundDevice {
  private nonce: string | undefined;

  constructor(private readonly key: DeviceKey) {}

  async post(url: string, body: unknown): Promise<Response> {
    const proof = await this.key.proof(new Date(), 'POST', url, this.nonce ? { nonce: this.nonce } : {});
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', dpop: proof },
      body: JSON.stringify(body),
    });
    this.nonce = response.headers.get('dpop-nonce') ?? this.nonce;
    return response;
  }
}
