/** Node-only parts of the SDK (they import node: modules); everything else is in ./index.js. */
export { EncryptedFileTokenStore, type EncryptedFileTokenStoreOptions } from './encrypted-file-token-store.js';
export { FileDeviceKey, type FileDeviceKeyOptions } from './file-device-key.js';
export * from './index.js';
