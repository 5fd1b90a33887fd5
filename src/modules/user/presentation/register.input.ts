import { Field, InputType } from '@nestjs/graphql';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength } from 'class-validator';
import { trimmed } from '../../../graphql/input-validation.js';

@InputType('RegisterInput')
export class RegisterInput {
  @Field(() => String)
  @Transform(trimmed)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  /** The password rule lives in the domain (password-policy.ts), so that the admin bootstrap obeys it too. */
  @Field(() => String)
  @IsString()
  @MaxLength(1024)
  password: string;
}
