import type { ReactNode } from 'react';
import { Timestamp } from './timestamp.js';

/** One labelled value in a card's `<dl className="facts">`. */
export function Fact({ label, wide, children }: { label: string; wide?: boolean; children: ReactNode }) {
  return (
    <div className={wide ? 'wide' : undefined}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** A labelled moment: "Signed in: 5 minutes ago (28 Nov 2026, 06:28)". */
export function TimeFact({ label, iso }: { label: string; iso: string }) {
  return (
    <Fact label={label}>
      <Timestamp iso={iso} />
    </Fact>
  );
}
