import { WebCryptoDeviceKey, type DeviceKey, type DevicePublicJwk, type WebCryptoKeyPair } from './device-key.js';

export interface IndexedDbDeviceKeyOptions {
  /** The IndexedDB database that holds the key; default `tessera-device-key`. */
  readonly databaseName?: string;
  /** The key's name in it, for an app with more than one; default `default`. */
  readonly keyName?: string;
}

const STORE = 'keys';

/**
 * The browser's device key: a P-256 CryptoKeyPair whose private key is non-extractable, kept in
 * IndexedDB (which stores a CryptoKey by structured clone: the page can use it to sign, and no
 * script, this one included, can read it out). Made on first use and the same after a reload;
 * tabs that make it at the same moment end up with one key. Clearing the site's data drops it:
 * the user then logs in again, binding a new one.
 */
export class IndexedDbDeviceKey implements DeviceKey {
  readonly databaseName: string;
  readonly keyName: string;
  #key: Promise<WebCryptoDeviceKey> | undefined;

  constructor(options: IndexedDbDeviceKeyOptions = {}) {
    this.databaseName = options.databaseName ?? 'tessera-device-key';
    this.keyName = options.keyName ?? 'default';
  }

  async publicJwk(): Promise<DevicePublicJwk> {
    return (await this.load()).publicJwk();
  }

  /** Signs without asking anyone: a browser or a file has no biometric gate, so a step-up proof is made like any other. */
  async sign(data: Uint8Array): Promise<Uint8Array> {
    return (await this.load()).sign(data);
  }

  /** The stored CryptoKeyPair (made now if there is none), e.g. to check that its private key is not extractable. */
  async keyPair(): Promise<WebCryptoKeyPair> {
    return (await this.load()).keyPair;
  }

  private load(): Promise<WebCryptoDeviceKey> {
    this.#key ??= this.loadOrCreate().catch((error: unknown) => {
      this.#key = undefined; // a failure (storage blocked for a moment) is tried again by the next proof
      throw error;
    });
    return this.#key;
  }

  private async loadOrCreate(): Promise<WebCryptoDeviceKey> {
    const database = await openDatabase(this.databaseName);
    try {
      const stored = await requestResult(database.transaction(STORE, 'readonly').objectStore(STORE).get(this.keyName));
      if (isKeyPair(stored)) return new WebCryptoDeviceKey(stored);
      // Made outside the transaction, which would commit while WebCrypto works; added only if no
      // other tab has added one meanwhile (transactions on one store run one at a time).
      const made = (await WebCryptoDeviceKey.generate({ extractable: false })).keyPair;
      const transaction = database.transaction(STORE, 'readwrite');
      const store = transaction.objectStore(STORE);
      let kept: WebCryptoKeyPair = made;
      const existing = store.get(this.keyName);
      existing.onsuccess = () => {
        if (isKeyPair(existing.result)) kept = existing.result;
        else store.put({ publicKey: made.publicKey, privateKey: made.privateKey }, this.keyName);
      };
      await transactionDone(transaction);
      return new WebCryptoDeviceKey(kept);
    } finally {
      database.close();
    }
  }
}

// The slice of IndexedDB used here, typed locally: the SDK compiles without the DOM library.
interface IdbRequest<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
}
interface IdbDatabase {
  readonly objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
  close(): void;
}
interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
  readonly error: unknown;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}
interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
}

function openDatabase(name: string): Promise<IdbDatabase> {
  const factory = (globalThis as { indexedDB?: { open(name: string, version: number): IdbOpenRequest } }).indexedDB;
  if (!factory) return Promise.reject(new TypeError('IndexedDB is not available here: IndexedDbDeviceKey is for browsers.'));
  const request = factory.open(name, 1);
  request.onupgradeneeded = () => {
    if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
  };
  return requestResult(request);
}

function requestResult<T>(request: IdbRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(asError(request.error));
  });
}

function transactionDone(transaction: IdbTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(asError(transaction.error));
    transaction.onabort = () => reject(asError(transaction.error));
  });
}

function isKeyPair(value: unknown): value is WebCryptoKeyPair {
  const pair = value as Partial<WebCryptoKeyPair> | undefined;
  return typeof pair?.privateKey === 'object' && pair.privateKey !== null && typeof pair.publicKey === 'object' && pair.publicKey !== null;
}

function asError(error: unknown): Error {
  // A DOMException is an Error; anything else (null from an aborted transaction) gets a message of its own.
  return error instanceof Error ? error : new Error('IndexedDB failed to keep the device key');
}
