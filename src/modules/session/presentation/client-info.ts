import type { Request } from 'express';
import type { ClientInfo } from '../domain/session.js';

const MAX_USER_AGENT_LENGTH = 512;

/** `req.ip` honours X-Forwarded-For only as far as TRUST_PROXY allows (Express "trust proxy"). */
export function clientInfoOf(request: Pick<Request, 'ip' | 'headers'>): ClientInfo {
  const userAgent = request.headers?.['user-agent'];
  return {
    ipAddress: request.ip ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null,
  };
}
