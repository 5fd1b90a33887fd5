import { Field, ID, InputType } from '@nestjs/graphql';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsEmail, IsOptional, IsString, IsUUID, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { trimmed } from '../../../graphql/input-validation.js';
import { DeviceInput } from '../../device/presentation/device.input.js';

@InputType('CreateSessionInput')
export class CreateSessionInput {
  /** The account's email; trimmed, and compared case-insensitively. */
  @Field(() => String)
  @Transform(trimmed)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  /** The account's password. A wrong email and a wrong password are refused alike (INVALID_CREDENTIALS). */
  @Field(() => String)
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;

  /** The device signing in: the same `deviceId` at every login makes it the same device. */
  @Field(() => DeviceInput)
  @ValidateNested()
  @Type(() => DeviceInput)
  device: DeviceInput;
}

@InputType('RefreshSessionInput')
export class RefreshSessionInput {
  // No length rule: a string that is not one of our refresh tokens, an access token sent by
  // mistake included, is INVALID_REFRESH_TOKEN, told apart by its shape before any lookup. The
  // body limit bounds it.
  /** The latest refresh token of the session (`tsr_…`); it is spent by this call. */
  @Field(() => String)
  @IsString()
  refreshToken: string;
}

@InputType('RevokeAllSessionsInput')
export class RevokeAllSessionsInput {
  /** Keep the caller's own session alive (sign out everywhere else). */
  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: "Keep the caller's own session alive (sign out everywhere else).",
  })
  @IsOptional()
  @IsBoolean()
  exceptCurrent?: boolean;

  /** Admins only: whose sessions to end. Defaults to the caller. */
  @Field(() => ID, { nullable: true, description: 'Admins only: whose sessions to end. Defaults to the caller.' })
  @IsOptional()
  @IsUUID('all', { message: 'userId must be a session service id' })
  userId?: string;
}

/** REST body of /api/auth/session/revoke. */
export class RevokeSessionBody {
  /** The session to end (one of `/api/auth/session/active`'s ids). */
  @IsUUID('all', { message: 'sessionId must be a session id' })
  sessionId: string;
}
