import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DroppedExchange {
  readonly requestBody: string;
  /** What the service answered and the client never saw. */
  readonly responseBody: string;
}

/**
 * An HTTP proxy in front of the service that forwards everything and, for requests that match,
 * lets the service answer but cuts the client's connection instead of passing the answer on:
 * a response lost on a flaky mobile network after the server committed.
 */
export class DroppingHttpProxy {
  readonly dropped: DroppedExchange[] = [];
  private server: Server | undefined;
  private dropsLeft = 0;
  private shouldDrop: (requestBody: string) => boolean = () => false;
  baseUrl = '';

  constructor(private readonly target: string) {}

  /** Drops the answers of the next `times` requests whose body matches. */
  dropResponses(matches: (requestBody: string) => boolean, times = 1): void {
    this.shouldDrop = matches;
    this.dropsLeft = times;
  }

  async start(): Promise<void> {
    const target = new URL(this.target);
    this.server = createServer((clientRequest, clientResponse) => void this.forward(target, clientRequest, clientResponse));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async forward(target: URL, clientRequest: IncomingMessage, clientResponse: ServerResponse): Promise<void> {
    const requestBody = await readBody(clientRequest);
    const upstream = httpRequest({
      host: target.hostname,
      port: target.port,
      method: clientRequest.method,
      path: clientRequest.url,
      headers: { ...clientRequest.headers, 'content-length': Buffer.byteLength(requestBody) },
    });
    upstream.on('response', (serviceResponse) => void this.answer(requestBody, clientRequest, clientResponse, serviceResponse));
    upstream.on('error', () => clientRequest.socket.destroy());
    upstream.end(requestBody);
  }

  private async answer(
    requestBody: string,
    clientRequest: IncomingMessage,
    clientResponse: ServerResponse,
    serviceResponse: IncomingMessage,
  ): Promise<void> {
    const responseBody = await readBody(serviceResponse);
    if (this.dropsLeft > 0 && this.shouldDrop(requestBody)) {
      this.dropsLeft -= 1;
      this.dropped.push({ requestBody, responseBody });
      clientRequest.socket.destroy();
      return;
    }
    const { 'transfer-encoding': _chunked, connection: _connection, ...headers } = serviceResponse.headers;
    clientResponse.writeHead(serviceResponse.statusCode ?? 502, { ...headers, 'content-length': Buffer.byteLength(responseBody) });
    clientResponse.end(responseBody);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

async function readBody(message: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
