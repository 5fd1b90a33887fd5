import WebSocket from 'ws';

type MessageHandler = ((event: WebSocket.MessageEvent) => void) | null;

const prototypeOnMessage = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage')!;

/**
 * The `ws` WebSocket, as graphql-ws uses it, with the network's misbehaviour under the test's
 * control: incoming messages can be lost on the way (`dropIncoming`), and open sockets can be
 * cut (`cutAll`) as a phone losing its connection would.
 */
export class WebSocketControl {
  readonly sockets = new Set<WebSocket>();
  readonly droppedMessages: string[] = [];
  /** How each socket was closed, in order: the server's close code, or 1006 for a cut. */
  readonly closeCodes: number[] = [];
  private dropsLeft = 0;
  private shouldDrop: (message: string) => boolean = () => false;
  /** Pass this to SessionSync as webSocketImpl. */
  readonly WebSocket: unknown;

  constructor() {
    const track = (socket: WebSocket) => {
      this.sockets.add(socket);
      socket.once('close', (code: number) => {
        this.sockets.delete(socket);
        this.closeCodes.push(code);
      });
    };
    const drops = (message: string) => this.drop(message);
    this.WebSocket = class ControlledWebSocket extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        track(this);
        // graphql-ws reads messages through the onmessage attribute; put a sieve in front of it.
        Object.defineProperty(this, 'onmessage', {
          get: () => prototypeOnMessage.get!.call(this) as MessageHandler,
          set: (handler: MessageHandler) =>
            prototypeOnMessage.set!.call(
              this,
              handler &&
                ((event: WebSocket.MessageEvent) => {
                  if (!drops(textOf(event.data))) handler(event);
                }),
            ),
        });
      }
    };
  }

  /** Loses the next `times` incoming messages that match, before graphql-ws sees them. */
  dropIncoming(matches: (message: string) => boolean, times = 1): void {
    this.shouldDrop = matches;
    this.dropsLeft = times;
  }

  /** Cuts every open socket without a closing handshake (close code 1006 on the client). */
  cutAll(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  private drop(message: string): boolean {
    if (this.dropsLeft <= 0 || !this.shouldDrop(message)) return false;
    this.dropsLeft -= 1;
    this.droppedMessages.push(message);
    return true;
  }
}

/** graphql-ws sends text frames; `ws` hands them over as a string or bytes. */
function textOf(data: WebSocket.Data): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return Buffer.concat(data).toString();
  return Buffer.from(data as ArrayBuffer).toString();
}
