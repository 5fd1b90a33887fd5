const MAX_TOKEN_LENGTH = 4096;

/** How an access token is presented: `Bearer`, or `DPoP` for a token bound to a device key (RFC 9449 §7.1). */
export type AuthorizationScheme = 'Bearer' | 'DPoP';

export interface PresentedAccessToken {
  readonly scheme: AuthorizationScheme;
  readonly token: string;
}

/** The scheme and token of an `Authorization: Bearer <token>` or `DPoP <token>` header, or undefined for anything else. */
export function presentedAccessToken(header: string | undefined): PresentedAccessToken | undefined {
  if (!header || header.length > MAX_TOKEN_LENGTH + 7) return undefined;
  const match = /^(Bearer|DPoP) +([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  if (!match) return undefined;
  return { scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] };
}

/** The access token of an Authorization header, whichever the scheme. */
export function accessTokenOf(header: string | undefined): string | undefined {
  return presentedAccessToken(header)?.token;
}
