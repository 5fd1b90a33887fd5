import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { contentSecurityPolicy } from 'helmet';

type Source = string | ((request: IncomingMessage, response: ServerResponse) => string);

/** What a page served by the service may load beyond its own scripts: the rest of the policy is the same for every page. */
export interface PageSources {
  readonly styleSrc: readonly Source[];
  readonly fontSrc: readonly Source[];
  readonly connectSrc: readonly Source[];
  readonly workerSrc?: readonly Source[];
  readonly upgradeInsecureRequests?: boolean;
}

/**
 * The content security policy of a page the service serves (the account page, GraphiQL,
 * Swagger UI): scripts from the service only and never inline, no plugins, no <base>, forms only
 * to the service, no framing; what differs between pages is passed in.
 */
export function pageCsp(page: PageSources): RequestHandler {
  return contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: page.styleSrc,
      imgSrc: ["'self'", 'data:'],
      fontSrc: page.fontSrc,
      connectSrc: page.connectSrc,
      ...(page.workerSrc ? { workerSrc: page.workerSrc } : {}),
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      ...(page.upgradeInsecureRequests ? { upgradeInsecureRequests: [] } : {}),
    },
  }) as RequestHandler;
}
