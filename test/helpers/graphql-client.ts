export interface GraphQLResponse<T = Record<string, any>> {
  readonly status: number;
  readonly data: T | null | undefined;
  readonly errors: { message: string; path?: string[]; extensions: { code: string; [key: string]: unknown } }[] | undefined;
}

/** GraphQL over real HTTP with fetch, as an app would send it. */
export class GraphQLTestClient {
  constructor(readonly url: string) {}

  async request<T = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    accessToken?: string,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<T>> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'tessera-e2e/1.0',
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T | null; errors?: GraphQLResponse['errors'] };
    return { status: response.status, data: body.data, errors: body.errors };
  }

  /** For the happy path: fails loudly with the errors when there are any. */
  async data<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, accessToken?: string): Promise<T> {
    const result = await this.request<T>(query, variables, accessToken);
    if (result.errors?.length || !result.data) {
      throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    }
    return result.data;
  }

  /** The error code of the first error; fails when the operation succeeded. */
  async errorCode(query: string, variables: Record<string, unknown> = {}, accessToken?: string): Promise<string> {
    const result = await this.request(query, variables, accessToken);
    if (!result.errors?.length) throw new Error(`Expected an error, got ${JSON.stringify(result.data)}`);
    return result.errors[0].extensions.code;
  }
}
