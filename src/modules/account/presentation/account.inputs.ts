import { Field, InputType } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** The lengths here only bound what reaches argon2id; the password policy gives the real answer. */
@InputType('ChangePasswordInput')
export class ChangePasswordInput {
  /** The password now; a wrong one is INVALID_CREDENTIALS. */
  @Field(() => String)
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  currentPassword: string;

  /** 12 to 128 characters, not the email and not the current password. */
  @Field(() => String)
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  newPassword: string;
}

@InputType('ReauthenticateInput')
export class ReauthenticateInput {
  /** The account password; on a device-bound session it may be left out when the request carries a DPoP proof. */
  @Field(() => String, {
    nullable: true,
    description: 'The account password; on a device-bound session it may be left out when the request carries a DPoP proof.',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password?: string | null;
}
