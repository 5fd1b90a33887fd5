import { Field, InputType } from '@nestjs/graphql';
import { IsEnum, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { DeviceType, type DeviceDescription } from '../domain/device.js';

@InputType('DeviceInput')
export class DeviceInput implements DeviceDescription {
  /** Stable identifier the app generated once and keeps in secure storage (Keychain). */
  @Field(() => String, {
    description: 'Stable identifier the app generated once and keeps in secure storage (Keychain).',
  })
  @IsString()
  @Length(8, 200)
  deviceId: string;

  @Field(() => DeviceType)
  @IsEnum(DeviceType)
  type: DeviceType;

  /** A name for people, e.g. "Alice's iPhone"; updated at each login until the owner renames the device. */
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  model?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  osVersion?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  appVersion?: string | null;
}
