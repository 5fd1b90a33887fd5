/**
 * The certified peer the refresh benchmark compares against: panva's oidc-provider (OpenID
 * Certified), as a process of its own like the service, configured as close to Tessera as it
 * goes: RS256 JWT access tokens (RFC 9068) for one API, 15-minute access and 7-day refresh
 * tokens, refresh tokens rotated on every use, a public client (no client authentication, as a
 * mobile app), and its in-memory adapter (nothing is written to disk).
 *
 * `tsx bench/peer.ts <port>` listens on 127.0.0.1:<port>. Besides the provider's own routes,
 * `POST /bench/grants?count=N` mints N refresh tokens, one per account, the way a finished
 * authorization-code flow would leave them, so that the bench starts its chains without driving
 * a browser login.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const PEER_CLIENT_ID = 'bench-app';
const API = 'https://api.tessera.example';

async function startPeer(port: number): Promise<void> {
  const issuer = `http://127.0.0.1:${port}`;
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: PEER_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['https://app.tessera.example/callback'],
      },
    ],
    jwks: { keys: [{ ...signingKey, alg: 'RS256', use: 'sig', kid: 'bench' }] },
    findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
    rotateRefreshToken: true,
    ttl: { AccessToken: 15 * 60, RefreshToken: 7 * 24 * 60 * 60, Grant: 30 * 24 * 60 * 60 },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api',
          audience: 'tessera',
          accessTokenTTL: 15 * 60,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  const client = await provider.Client.find(PEER_CLIENT_ID);
  if (!client) throw new Error('the bench client is not configured');

  const mint = async (): Promise<string> => {
    const accountId = randomUUID();
    const grant = new provider.Grant({ accountId, clientId: PEER_CLIENT_ID });
    grant.addOIDCScope('offline_access');
    grant.addResourceScope(API, 'api');
    const grantId = await grant.save();
    const now = Math.floor(Date.now() / 1000);
    const token = new provider.RefreshToken({
      accountId,
      client,
      grantId,
      scope: 'offline_access api',
      resource: API,
      gty: 'authorization_code',
      iiat: now,
      authTime: now,
    });
    return token.save();
  };

  const callback = provider.callback();
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', issuer);
    if (request.method === 'POST' && url.pathname === '/bench/grants') {
      const count = Math.min(Number(url.searchParams.get('count') ?? '1'), 1_000);
      Promise.all(Array.from({ length: count }, mint)).then(
        (refreshTokens) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ refreshTokens })),
        (error: Error) => response.writeHead(500).end(error.message),
      );
      return;
    }
    callback(request, response);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  process.stdout.write(`peer listening on ${issuer}\n`);
}

/** The peer's refresh-token grant, as the chains call it: returns the rotated refresh token. */
export async function refreshAtPeer(baseUrl: string, refreshToken: string): Promise<string> {
  const response = await fetch(`${baseUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: PEER_CLIENT_ID }),
  });
  const body = (await response.json()) as { refresh_token?: string; access_token?: string };
  if (response.status !== 200 || !body.refresh_token || !body.access_token) throw new Error(`peer refresh answered ${response.status}`);
  return body.refresh_token;
}

export async function mintPeerRefreshTokens(baseUrl: string, count: number): Promise<string[]> {
  const response = await fetch(`${baseUrl}/bench/grants?count=${count}`, { method: 'POST' });
  if (response.status !== 200) throw new Error(`minting answered ${response.status}`);
  return ((await response.json()) as { refreshTokens: string[] }).refreshTokens;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  startPeer(Number(process.argv[2] ?? 3900)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
