export enum DeviceType {
  IOS = 'IOS',
  ANDROID = 'ANDROID',
  WEB = 'WEB',
  DESKTOP = 'DESKTOP',
  OTHER = 'OTHER',
}

export interface Device {
  readonly id: string;
  readonly userId: string;
  readonly type: DeviceType;
  readonly name: string | null;
  readonly model: string | null;
  readonly osVersion: string | null;
  readonly appVersion: string | null;
  readonly trusted: boolean;
  readonly trustedAt: Date | null;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
}

/** What the app tells us about itself at login. */
export interface DeviceDescription {
  /** Generated once by the app and kept in secure storage; never stored by us. */
  readonly deviceId: string;
  readonly type: DeviceType;
  readonly name?: string | null;
  readonly model?: string | null;
  readonly osVersion?: string | null;
  readonly appVersion?: string | null;
}
