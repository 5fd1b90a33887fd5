import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { accessTokenKeyThumbprint } from './access-token-lifetime.js';
import type { DeviceKey } from './device-key.js';
import { DpopProofs } from './dpop-proofs.js';
import { NETWORK_ERROR, REAUTHENTICATION_REQUIRED, ReauthenticationRequiredError, TesseraError } from './tessera-error.js';

export type FetchFunction = typeof fetch;

/**
 * A GraphQL operation as text, typed with its result and variables: a typed document string
 * from GraphQL Code Generator (`documentMode: 'string'`, as the SDK's own operations are), or
 * its `toString()`. A parsed DocumentNode is not one: the SDK sends text and carries no printer.
 */
export type TypedDocumentText<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & { valueOf(): string };

/** Operation variables: optional when the operation has no required ones. */
export type VariablesArgument<TVariables> = Record<string, never> extends TVariables ? [variables?: TVariables] : [variables: TVariables];

interface GraphQLErrorBody {
  readonly message?: unknown;
  readonly extensions?: {
    readonly code?: unknown;
    readonly retryAfterSeconds?: unknown;
    readonly fields?: unknown;
    readonly maxAgeSeconds?: unknown;
    readonly nonce?: unknown;
  };
}

export interface GraphQLTransportOptions {
  /** The device key that proves this device's requests (DPoP, RFC 9449); without it, sessions are Bearer. */
  readonly deviceKey?: DeviceKey;
  /** The device's clock in milliseconds, for the proofs' `iat`. */
  readonly now?: () => number;
}

export interface ExecuteOptions {
  /** Send a proof by the device key even without a bound access token: a login or a refresh, which bind to it. */
  readonly deviceProof?: boolean;
  /** The proof stands for the user's presence (step-up with the device key): a native key may ask for biometrics. */
  readonly stepUp?: boolean;
}

/**
 * GraphQL over HTTP POST to `<baseUrl>/graphql`, every failure turned into a TesseraError. With
 * a device key, a bound access token goes as `DPoP <token>` with a proof naming it, and a nonce
 * challenge (`INVALID_DPOP_PROOF` with `extensions.nonce`, RFC 9449 §8) is answered by sending
 * the request once more with a proof carrying that nonce: the caller never sees it.
 */
export class GraphQLTransport {
  readonly graphqlUrl: string;
  /** The device key's proofs and the service's latest nonce; undefined without a device key. */
  readonly proofs: DpopProofs | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: FetchFunction,
    options: GraphQLTransportOptions = {},
  ) {
    // String joining rather than new URL(): keeps a base path (https://api.example.com/auth) and needs no URL polyfill on React Native.
    this.graphqlUrl = `${baseUrl.replace(/\/+$/, '')}/graphql`;
    this.proofs = options.deviceKey ? new DpopProofs(options.deviceKey, options.now ?? Date.now) : undefined;
  }

  async execute<TResult, TVariables = Record<string, unknown>>(
    document: string | TypedDocumentText<TResult, TVariables>,
    variables: TVariables | undefined,
    accessToken?: string,
    options: ExecuteOptions = {},
  ): Promise<TResult> {
    const bound = accessToken !== undefined && accessTokenKeyThumbprint(accessToken) !== undefined;
    if (bound && !this.proofs) throw withoutDeviceKey();
    const proofs = bound || options.deviceProof ? this.proofs : undefined;
    // Generated documents open with a line break and indentation: trimmed, the body starts with the operation.
    const requestBody = JSON.stringify({ query: String(document).trim(), variables: variables ?? {} });
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      if (accessToken) headers.authorization = `${bound ? 'DPoP' : 'Bearer'} ${accessToken}`;
      if (proofs) {
        headers.dpop = await proofs.make({
          method: 'POST',
          url: this.graphqlUrl,
          ...(bound ? { accessToken } : {}),
          ...(options.stepUp ? { stepUp: true } : {}),
        });
      }
      let response: Response;
      try {
        response = await this.fetchImpl(this.graphqlUrl, { method: 'POST', headers, body: requestBody });
      } catch (cause) {
        throw new TesseraError(NETWORK_ERROR, 'The session service could not be reached.', { cause });
      }
      proofs?.noteAnswer(this.graphqlUrl, response);
      const body = await readJson(response);
      if (!body || typeof body !== 'object') {
        // A proxy's error page, a captive portal, a cut connection: nothing the service said.
        throw new TesseraError(NETWORK_ERROR, `The session service answered HTTP ${response.status} without a GraphQL body.`, {
          retryAfterSeconds: retryAfterHeader(response),
        });
      }
      const { data, errors } = body as { data?: TResult | null; errors?: GraphQLErrorBody[] };
      if (Array.isArray(errors) && errors.length > 0) {
        const nonce = nonceChallengeOf(errors[0]!);
        if (proofs && nonce !== undefined && attempt === 1) {
          proofs.remember(this.graphqlUrl, nonce);
          continue;
        }
        throw toTesseraError(errors[0]!, response);
      }
      if (data === undefined || data === null) throw new TesseraError(NETWORK_ERROR, 'The session service answered without data.');
      return data;
    }
  }
}

/** RFC 9449 §8's use_dpop_nonce as the service says it over GraphQL: the nonce to make the proof again with. */
function nonceChallengeOf(error: GraphQLErrorBody): string | undefined {
  const nonce = error.extensions?.nonce;
  return error.extensions?.code === 'INVALID_DPOP_PROOF' && typeof nonce === 'string' ? nonce : undefined;
}

export function withoutDeviceKey(): TesseraError {
  return new TesseraError('INVALID_DPOP_PROOF', 'This session is bound to a device key: give the SessionClient its deviceKey.');
}

function toTesseraError(error: GraphQLErrorBody, response?: Response): TesseraError {
  const extensions = error.extensions ?? {};
  const code = typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR';
  const message = typeof error.message === 'string' ? error.message : code;
  if (code === REAUTHENTICATION_REQUIRED) {
    const maxAgeSeconds = typeof extensions.maxAgeSeconds === 'number' ? extensions.maxAgeSeconds : undefined;
    return new ReauthenticationRequiredError(message, { maxAgeSeconds });
  }
  const retryAfterSeconds =
    typeof extensions.retryAfterSeconds === 'number' ? extensions.retryAfterSeconds : response ? retryAfterHeader(response) : undefined;
  const fields = Array.isArray(extensions.fields)
    ? extensions.fields.filter((field): field is string => typeof field === 'string')
    : undefined;
  return new TesseraError(code, message, { retryAfterSeconds, fields });
}

/** The error code in a GraphQL (`errors[0].extensions.code`) or REST (`error.code`) body, if any. */
export function errorCodeOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { errors, error } = body as { errors?: GraphQLErrorBody[]; error?: { code?: unknown } };
  const code = Array.isArray(errors) ? errors[0]?.extensions?.code : error?.code;
  return typeof code === 'string' ? code : undefined;
}

export async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

function retryAfterHeader(response: Response): number | undefined {
  const value = Number(response.headers.get('retry-after'));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
