import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';

/** Flattens class-validator's tree into dotted field paths: `device.deviceId`. */
function collect(errors: readonly ValidationError[], prefix = ''): { field: string; problem: string }[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((problem) => ({ field, problem }));
    return [...own, ...collect(error.children ?? [], field)];
  });
}

/**
 * Validates every GraphQL input and REST body against its class: unknown fields are refused,
 * and the error names each offending field in `fields` (BAD_USER_INPUT).
 */
export function createInputValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const problems = collect(errors);
      const fields = [...new Set(problems.map((p) => p.field))];
      return new DomainError('BAD_USER_INPUT', `Invalid input: ${problems.map((p) => p.problem).join('; ')}.`, { fields });
    },
  });
}

/** For @Transform: surrounding spaces a keyboard added are not part of the value. */
export const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
