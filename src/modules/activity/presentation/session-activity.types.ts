import { Field, GraphQLISODateTime, ID, InputType, ObjectType, registerEnumType } from '@nestjs/graphql';
import { IsArray, IsDate, IsEnum, IsOptional, IsUUID } from 'class-validator';
import { Type } from 'class-transformer';
import { JSONScalar } from '../../../graphql/json.scalar.js';
import { SessionActivityType } from '../domain/session-activity.js';

registerEnumType(SessionActivityType, { name: 'SessionActivityType' });

@ObjectType('SessionActivity')
export class SessionActivityObjectType {
  @Field(() => ID)
  id: string;

  @Field(() => ID, { nullable: true })
  sessionId: string | null;

  @Field(() => ID)
  userId: string;

  @Field(() => SessionActivityType)
  type: SessionActivityType;

  @Field(() => GraphQLISODateTime)
  occurredAt: Date;

  @Field(() => String, { nullable: true })
  ipAddress: string | null;

  @Field(() => String, { nullable: true })
  userAgent: string | null;

  @Field(() => JSONScalar, { nullable: true })
  details: Record<string, unknown> | null;
}

@ObjectType('SessionActivityEdge')
export class SessionActivityEdgeType {
  @Field(() => String)
  cursor: string;

  @Field(() => SessionActivityObjectType)
  node: SessionActivityObjectType;
}

@ObjectType('PageInfo')
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage: boolean;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

@ObjectType('SessionActivityConnection')
export class SessionActivityConnectionType {
  @Field(() => [SessionActivityEdgeType])
  edges: SessionActivityEdgeType[];

  @Field(() => PageInfoType)
  pageInfo: PageInfoType;
}

@InputType('SessionActivityFilter')
export class SessionActivityFilterInput {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'sessionId must be a session id' })
  sessionId?: string;

  @Field(() => ID, { nullable: true, description: "Admins only: another user's activity." })
  @IsOptional()
  @IsUUID('all', { message: 'userId must be a user id' })
  userId?: string;

  @Field(() => [SessionActivityType], { nullable: true })
  @IsOptional()
  @IsArray()
  @IsEnum(SessionActivityType, { each: true })
  types?: SessionActivityType[];

  @Field(() => GraphQLISODateTime, { nullable: true })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  since?: Date;
}
