import { Field, InputType } from '@nestjs/graphql';
import { IsEmail, IsString, MaxLength } from 'class-validator';

@InputType('RegisterInput')
export class RegisterInput {
  @Field(() => String)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  /** Length rules live in the domain (UserService), so that the admin bootstrap obeys them too. */
  @Field(() => String)
  @IsString()
  @MaxLength(1024)
  password: string;
}
