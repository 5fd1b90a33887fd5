const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

const STEPS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** "5 minutes ago", "yesterday"; "just now" under ten seconds. */
export function timeAgo(iso: string, now = Date.now()): string {
  let value = (Date.parse(iso) - now) / 1000;
  if (Math.abs(value) < 10) return 'just now';
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return absolute.format(new Date(iso));
}

export function dateTime(iso: string): string {
  return absolute.format(new Date(iso));
}

const DEVICE_TYPES: Record<string, string> = {
  IOS: 'iPhone or iPad',
  ANDROID: 'Android',
  WEB: 'Web browser',
  DESKTOP: 'Desktop app',
  OTHER: 'Other',
};

export function deviceTypeLabel(type: string): string {
  return DEVICE_TYPES[type] ?? type;
}

export function deviceName(device: { name: string | null; type: string; model?: string | null }): string {
  return device.name?.trim() || device.model?.trim() || deviceTypeLabel(device.type);
}
