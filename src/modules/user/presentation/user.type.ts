import { Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Role } from '../../../kernel/role.js';
import type { User } from '../domain/user.js';

registerEnumType(Role, { name: 'Role' });

@ObjectType('User')
export class UserType {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  email: string;

  @Field(() => [Role])
  roles: Role[];

  @Field(() => GraphQLISODateTime)
  createdAt: Date;

  @Field(() => Boolean, { description: 'Set by an administrator; a disabled account has no active session and cannot log in.' })
  disabled: boolean;

  @Field(() => GraphQLISODateTime, { nullable: true })
  disabledAt: Date | null;
}

export const toUserType = (user: User): UserType => ({
  id: user.id,
  email: user.email,
  roles: [...user.roles],
  createdAt: user.createdAt,
  disabled: user.disabledAt !== null,
  disabledAt: user.disabledAt,
});
