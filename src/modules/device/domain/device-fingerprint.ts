import { createHmac } from 'node:crypto';
import type { DeviceDescription } from './device.js';

/**
 * HMAC-SHA256 over the user, the app's deviceId and the attributes that do not change over a
 * device's life (type, model). Keyed, so the stored value cannot be matched against a guessed
 * deviceId without the server's secret; scoped to the user, so one phone shared by two
 * accounts is two unrelated devices.
 */
export function deviceFingerprint(key: Buffer, userId: string, device: DeviceDescription): Buffer {
  const stableAttributes = [userId, device.deviceId, device.type, device.model?.trim().toLowerCase() ?? ''];
  return createHmac('sha256', key).update(JSON.stringify(stableAttributes)).digest();
}
