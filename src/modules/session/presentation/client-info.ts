import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import proxyAddress from 'proxy-addr';
import type { AppConfig } from '../../../config/app-config.js';
import type { ClientInfo } from '../../../kernel/client-info.js';

const MAX_USER_AGENT_LENGTH = 512;

export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * Which X-Forwarded-For hops to believe, compiled once from TRUST_PROXY (as Express compiles its
 * "trust proxy" setting) and given both to Express, for `req.ip`, and to the WebSocket upgrade,
 * so that every transport records the same address for the same client.
 */
export function trustProxyOf(setting: AppConfig['trustProxy']): TrustProxy {
  if (setting === undefined) return () => false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return proxyAddress.compile([...setting]);
}

/** `req.ip` honours X-Forwarded-For only as far as TRUST_PROXY allows. */
export function clientInfoOf(request: Pick<Request, 'ip' | 'headers'>): ClientInfo {
  return { ipAddress: request.ip ?? null, userAgent: userAgentOf(request.headers) };
}

/** The client behind a graphql-ws upgrade request, by the same rules as `req.ip`. */
export function clientInfoOfUpgrade(request: IncomingMessage, trust: TrustProxy): ClientInfo {
  return { ipAddress: request.socket.remoteAddress ? proxyAddress(request, trust) : null, userAgent: userAgentOf(request.headers) };
}

function userAgentOf(headers: IncomingMessage['headers'] | undefined): string | null {
  const userAgent = headers?.['user-agent'];
  return typeof userAgent === 'string' ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null;
}
