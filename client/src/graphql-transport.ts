import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
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
  };
}

/** GraphQL over HTTP POST to `<baseUrl>/graphql`, every failure turned into a TesseraError. */
export class GraphQLTransport {
  readonly graphqlUrl: string;

  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: FetchFunction,
  ) {
    // String joining rather than new URL(): keeps a base path (https://api.example.com/auth) and needs no URL polyfill on React Native.
    this.graphqlUrl = `${baseUrl.replace(/\/+$/, '')}/graphql`;
  }

  async execute<TResult, TVariables = Record<string, unknown>>(
    document: string | TypedDocumentText<TResult, TVariables>,
    variables: TVariables | undefined,
    accessToken?: string,
  ): Promise<TResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    let response: Response;
    try {
      response = await this.fetchImpl(this.graphqlUrl, {
        method: 'POST',
        headers,
        // Generated documents open with a line break and indentation: trimmed, the body starts with the operation.
        body: JSON.stringify({ query: String(document).trim(), variables: variables ?? {} }),
      });
    } catch (cause) {
      throw new TesseraError(NETWORK_ERROR, 'The session service could not be reached.', { cause });
    }
    const body = await readJson(response);
    if (!body || typeof body !== 'object') {
      // A proxy's error page, a captive portal, a cut connection: nothing the service said.
      throw new TesseraError(NETWORK_ERROR, `The session service answered HTTP ${response.status} without a GraphQL body.`, {
        retryAfterSeconds: retryAfterHeader(response),
      });
    }
    const { data, errors } = body as { data?: TResult | null; errors?: GraphQLErrorBody[] };
    if (Array.isArray(errors) && errors.length > 0) throw toTesseraError(errors[0]!, response);
    if (data === undefined || data === null) throw new TesseraError(NETWORK_ERROR, 'The session service answered without data.');
    return data;
  }
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
