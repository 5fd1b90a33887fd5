export interface RestResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** JSON over real HTTP with fetch. */
export async function rest<T = any>(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; accessToken?: string; rawBody?: string; contentType?: string } = {},
): Promise<RestResponse<T>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined || options.rawBody !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
      ...(options.accessToken ? { authorization: `Bearer ${options.accessToken}` } : {}),
    },
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON; the test sees the text
  }
  return { status: response.status, headers: response.headers, body: body as T };
}
