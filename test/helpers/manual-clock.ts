import { Clock } from '../../src/common/clock.js';

/** A clock the test moves: 31 idle minutes take no time at all. */
export class ManualClock extends Clock {
  private current: number;

  constructor(start: Date = new Date()) {
    super();
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }
}

export const MINUTE = 60_000;
export const SECOND = 1_000;
