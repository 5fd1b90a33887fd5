import { Field, InputType } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** The lengths here only bound what reaches argon2id; the password policy gives the real answer. */
@InputType('ChangePasswordInput')
export class ChangePasswordInput {
  @Field(() => String)
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  currentPassword: string;

  @Field(() => String)
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  newPassword: string;
}

@InputType('ReauthenticateInput')
export class ReauthenticateInput {
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
