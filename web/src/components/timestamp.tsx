import { dateTime, timeAgo } from '../format.js';

/** A time as a person reads it ("5 minutes ago"), the exact one on hover and for machines. */
export function Timestamp({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={dateTime(iso)}>
      {timeAgo(iso)} <span className="exact">({dateTime(iso)})</span>
    </time>
  );
}
