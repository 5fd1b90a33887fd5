import type { Storage } from '@graphiql/toolkit';

/** GraphiQL's own prefix for its keys: the account page shares this origin's localStorage. */
const NAMESPACE = 'graphiql:';

/**
 * localStorage for GraphiQL, minus every request header. GraphiQL leaves the header editor out of
 * its saved tabs when told to, but its query history saves each run's headers regardless, and
 * those hold an access token: written to disk, it would outlive the tab for the next user of the
 * computer (the account page keeps tokens out of localStorage for the same reason).
 */
export function storageWithoutHeaders(backing: globalThis.Storage | null): Storage {
  const ownKeys = () => (backing ? Object.keys(backing).filter((key) => key.startsWith(NAMESPACE)) : []);
  return {
    getItem: (key) => backing?.getItem(key) ?? null,
    setItem: (key, value) => {
      if (key === `${NAMESPACE}headers`) return;
      backing?.setItem(key, withoutHeaders(value));
    },
    removeItem: (key) => backing?.removeItem(key),
    clear: () => ownKeys().forEach((key) => backing?.removeItem(key)),
    get length() {
      return ownKeys().length;
    },
  };
}

/** The stored JSON with every `headers` field removed, at any depth (tabs, history, favourites). */
function withoutHeaders(value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return value;
  }
  return JSON.stringify(parsed, (key, field: unknown) => (key === 'headers' ? undefined : field));
}

/** localStorage, or nothing where the browser refuses it (some private modes): GraphiQL then keeps no state. */
export function localStorageOrNull(): globalThis.Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
