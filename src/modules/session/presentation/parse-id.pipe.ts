import { Injectable, type PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { DomainError } from '../../../common/domain-error.js';

/** IDs are UUIDs; anything else is the client's mistake, answered before it reaches the database. */
@Injectable()
export class ParseIdPipe implements PipeTransform<unknown, string | undefined> {
  constructor(
    private readonly field: string,
    private readonly optional = false,
  ) {}

  transform(value: unknown): string | undefined {
    if (this.optional && (value === undefined || value === null)) return undefined;
    if (typeof value !== 'string' || !isUUID(value)) {
      throw new DomainError('BAD_USER_INPUT', `${this.field} is not a valid id.`, { fields: [this.field] });
    }
    return value.toLowerCase();
  }
}
