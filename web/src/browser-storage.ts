import type { DeviceInput, StoredSession, TokenStore } from './sdk.js';

const DEVICE_ID_KEY = 'tessera.account.deviceId';
const SESSION_KEY = 'tessera.account.session';

/** localStorage or sessionStorage, or null when the browser refuses storage (some private modes). */
export function storageOrNull(kind: 'localStorage' | 'sessionStorage'): Storage | null {
  try {
    const storage = window[kind];
    const probe = `${SESSION_KEY}.probe`;
    storage.setItem(probe, '1');
    storage.removeItem(probe);
    return storage;
  } catch {
    return null;
  }
}

/**
 * Where the refresh token lives between page loads: sessionStorage, i.e. this tab only and only
 * until it is closed (README.md, "The account page", explains the choice). When the browser refuses
 * storage, main.tsx keeps the session in the SDK's MemoryTokenStore instead, and a reload asks
 * for the password again. The access token is never stored: the SDK keeps it in memory.
 */
export class BrowserTokenStore implements TokenStore {
  constructor(private readonly storage: Storage) {}

  async read(): Promise<StoredSession | null> {
    const raw = this.storage.getItem(SESSION_KEY);
    if (!raw) return null;
    try {
      const parsed = JSON.parse(raw) as Partial<StoredSession>;
      if (typeof parsed.refreshToken === 'string' && typeof parsed.sessionId === 'string') {
        return { refreshToken: parsed.refreshToken, sessionId: parsed.sessionId };
      }
    } catch {
      // Unreadable: treated as no session.
    }
    this.storage.removeItem(SESSION_KEY);
    return null;
  }

  async write(session: StoredSession): Promise<void> {
    this.storage.setItem(SESSION_KEY, JSON.stringify({ refreshToken: session.refreshToken, sessionId: session.sessionId }));
  }

  async clear(): Promise<void> {
    this.storage.removeItem(SESSION_KEY);
  }
}

/** 16 random bytes as hex: works in any context (crypto.randomUUID needs a secure one). */
function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * The browser's install identifier, generated once and kept in localStorage so that the service
 * recognises this browser as the same WEB device at every sign-in (it stores only a keyed hash).
 */
export function webDeviceId(): string {
  const storage = storageOrNull('localStorage');
  const existing = storage?.getItem(DEVICE_ID_KEY);
  if (existing && existing.length >= 8 && existing.length <= 200) return existing;
  const id = `web-${randomId()}`;
  storage?.setItem(DEVICE_ID_KEY, id);
  return id;
}

const BROWSERS: readonly [RegExp, string][] = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/(?:Chrome|Chromium|CriOS)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];
const SYSTEMS: readonly [RegExp, string][] = [
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Android/, 'Android'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

/**
 * What this browser tells the service at sign-in. The model is left out on purpose: it is part of
 * the device fingerprint, and anything read from the user agent changes with browser updates,
 * which would make the same browser a new device.
 */
export function webDevice(userAgent = navigator.userAgent): DeviceInput {
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? 'Browser';
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  return {
    deviceId: webDeviceId(),
    type: 'WEB',
    name: system ? `${browser} on ${system}` : browser,
    appVersion: 'account-page',
  };
}
