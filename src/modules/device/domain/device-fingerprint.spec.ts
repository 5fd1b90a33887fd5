import { describe, expect, it } from '@jest/globals';
import { DeviceType } from './device.js';
import { deviceFingerprint } from './device-fingerprint.js';

const key = Buffer.alloc(32, 1);
const phone = { deviceId: 'A1B2C3D4-install', type: DeviceType.IOS, model: 'iPhone15,2', name: 'Alice’s iPhone', osVersion: '18.1' };

describe('deviceFingerprint', () => {
  it('is the same for the same user, device id and stable attributes', () => {
    expect(deviceFingerprint(key, 'user-1', phone).equals(deviceFingerprint(key, 'user-1', { ...phone }))).toBe(true);
  });

  it('ignores what changes over a device’s life: its name and OS version', () => {
    const renamedAndUpdated = { ...phone, name: 'Work phone', osVersion: '19.0' };
    expect(deviceFingerprint(key, 'user-1', renamedAndUpdated).equals(deviceFingerprint(key, 'user-1', phone))).toBe(true);
  });

  it('differs for another user with the same device id', () => {
    expect(deviceFingerprint(key, 'user-2', phone).equals(deviceFingerprint(key, 'user-1', phone))).toBe(false);
  });

  it('differs for another device id, type or model', () => {
    const base = deviceFingerprint(key, 'user-1', phone);
    expect(deviceFingerprint(key, 'user-1', { ...phone, deviceId: 'other' }).equals(base)).toBe(false);
    expect(deviceFingerprint(key, 'user-1', { ...phone, type: DeviceType.ANDROID }).equals(base)).toBe(false);
    expect(deviceFingerprint(key, 'user-1', { ...phone, model: 'iPhone16,1' }).equals(base)).toBe(false);
  });

  it('depends on the server key, so a stored fingerprint cannot be matched by guessing the device id', () => {
    expect(deviceFingerprint(Buffer.alloc(32, 2), 'user-1', phone).equals(deviceFingerprint(key, 'user-1', phone))).toBe(false);
  });

  it('never contains the raw device id', () => {
    expect(deviceFingerprint(key, 'user-1', phone).toString('latin1')).not.toContain(phone.deviceId);
  });
});
