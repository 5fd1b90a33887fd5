/**
 * The contract's types as the SDK hands them out, under the contract's names. They are the
 * result types GraphQL Code Generator derives from schema.gql and the SDK's operations
 * (generated/graphql.ts, `npm run codegen`), so they cannot drift from the schema.
 */
import type {
  CreateSessionInput,
  DeviceFieldsFragment,
  SessionAlertFieldsFragment,
  SessionFieldsFragment,
  SessionPayloadFieldsFragment,
  TesseraSessionEventsSubscription,
  UserFieldsFragment,
} from './generated/graphql.js';

export type {
  AlertSeverity,
  ChangePasswordInput,
  DeviceInput,
  DeviceType,
  Role,
  SessionAlertType,
  SessionEndReason,
  SessionEventType,
  SessionStatus,
} from './generated/graphql.js';

/** An ISO 8601 date-time string, as the service sends it (the contract's DateTime scalar). */
export type DateTime = string;

export type User = UserFieldsFragment;
export type Device = DeviceFieldsFragment;
/** `current` is true for the session this client is signed in with. */
export type Session = SessionFieldsFragment;
export type SessionAlert = SessionAlertFieldsFragment;
/** `version` is the user's change counter: one more than the previous event, or something was missed. */
export type SessionEvent = TesseraSessionEventsSubscription['sessionEvents'];

export type LoginInput = CreateSessionInput;

/** What login hands back to the app; the tokens stay inside the SDK. */
export type LoginResult = Pick<SessionPayload, 'user' | 'session'>;

/** The contract's SessionPayload. Internal to the SDK: apps never see tokens. */
export type SessionPayload = SessionPayloadFieldsFragment;
export type TokenPair = SessionPayload['tokens'];
