/**
 * How long an access token lives, from its own `iat` and `exp` claims. Both come from the
 * service's clock, so the difference holds however wrong the device's clock is; the SDK then
 * counts that lifetime from the moment the token arrived, on the device's clock.
 */
export function accessTokenLifetimeMs(accessToken: string): number | undefined {
  const payload = accessToken.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(decodeBase64Url(payload)) as { iat?: unknown; exp?: unknown };
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp <= claims.iat) return undefined;
    return (claims.exp - claims.iat) * 1000;
  } catch {
    return undefined;
  }
}

/**
 * The RFC 7638 thumbprint of the device key an access token is bound to (its `cnf.jkt`, RFC
 * 9449 §6.1), or undefined for a Bearer token. The token itself says how it must be presented,
 * so a token handed out before or after a renewal is never sent under the wrong scheme.
 */
export function accessTokenKeyThumbprint(accessToken: string): string | undefined {
  const payload = accessToken.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(decodeBase64Url(payload)) as { cnf?: { jkt?: unknown } };
    return typeof claims.cnf?.jkt === 'string' ? claims.cnf.jkt : undefined;
  } catch {
    return undefined;
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// Hand-written rather than atob or Buffer: React Native, browsers and Node all run it alike.
function decodeBase64Url(input: string): string {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const character of input.replace(/=+$/, '')) {
    const value = ALPHABET.indexOf(character);
    if (value < 0) throw new Error('Not base64url');
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  // Latin-1 is enough: only iat, exp and cnf.jkt are read, which are numbers and base64url.
  return String.fromCharCode(...bytes);
}
