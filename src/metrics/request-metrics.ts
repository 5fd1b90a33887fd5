import { Injectable } from '@nestjs/common';
import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, Response } from 'express';
import { Histogram } from 'prom-client';
import { graphqlOperationLabel, INVALID_OPERATION } from './graphql-operation-label.js';
import { SessionMetrics } from './session-metrics.js';

/** From a cached read to an argon2id login on a busy instance. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Paths served by a handler mounted on a prefix rather than by a route: Apollo on /graphql, the
 * web pages and their files (src/web-pages), Swagger UI's files under /api/docs. Express names no
 * route for them, so the prefix stands in. A new mount missing here shows up as `unmatched` with
 * a 2xx status.
 */
const MOUNTED_PATHS = ['/graphql', '/graphiql', '/account', '/assets', '/api/docs'];

/** Every path no route or mount answers (404s, scanners): one series, whatever the URL. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The codes that mean the service failed the request, not that the client got it wrong. */
const SERVER_ERROR_CODES = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']);

type GraphQLOutcome = 'ok' | 'client_error' | 'server_error';

/**
 * How long HTTP requests and GraphQL operations take. The labels are bounded by the code, never
 * by what a client sends: the route template (not the URL), the status code, the method Node's
 * parser accepted, and for GraphQL the root field the schema defines (graphql-operation-label.ts),
 * so that no stream of made-up URLs or operation names can grow the number of series.
 */
@Injectable()
export class RequestMetrics {
  private readonly httpSeconds: Histogram<'method' | 'route' | 'status'>;
  private readonly graphqlSeconds: Histogram<'operation' | 'outcome'>;

  constructor(metrics: SessionMetrics) {
    this.httpSeconds = new Histogram({
      name: 'tessera_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to the end of its answer, by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: DURATION_BUCKETS,
      registers: [metrics.registry],
    });
    this.graphqlSeconds = new Histogram({
      name: 'tessera_graphql_request_duration_seconds',
      help: 'Time to execute a GraphQL operation over HTTP, by root field and outcome (ok, client_error, server_error).',
      labelNames: ['operation', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers: [metrics.registry],
    });
  }

  /** Express middleware: first in the chain, so that it times everything after it. */
  httpMiddleware() {
    return (request: Request, response: Response, next: NextFunction): void => {
      const stop = this.httpSeconds.startTimer();
      // 'close' as well as 'finish': a client that hangs up still cost the time it took.
      let observed = false;
      const observe = () => {
        if (observed) return;
        observed = true;
        stop({ method: request.method.toLowerCase(), route: routeOf(request), status: String(response.statusCode) });
      };
      response.once('finish', observe);
      response.once('close', observe);
      next();
    };
  }

  /** An Apollo plugin: GraphQL over HTTP (operations over graphql-ws are long-lived streams, not timed). */
  graphqlPlugin(): ApolloServerPlugin {
    const histogram = this.graphqlSeconds;
    return {
      requestDidStart() {
        const stop = histogram.startTimer();
        let operation = INVALID_OPERATION;
        return Promise.resolve({
          didResolveOperation({ operation: resolved, document }) {
            if (resolved) operation = graphqlOperationLabel(resolved, document);
            return Promise.resolve();
          },
          willSendResponse({ response }) {
            const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
            stop({ operation, outcome: outcomeOf(errors) });
            return Promise.resolve();
          },
        });
      },
    };
  }
}

function routeOf(request: Request): string {
  const template = (request.route as { path?: unknown } | undefined)?.path;
  if (typeof template === 'string') return `${request.baseUrl}${template}`;
  // Express matches case-insensitively; the label is the one spelling the service defines.
  const path = request.originalUrl.split('?')[0].toLowerCase();
  return MOUNTED_PATHS.find((mount) => path === mount || path.startsWith(`${mount}/`)) ?? UNMATCHED_ROUTE;
}

function outcomeOf(errors: readonly { extensions?: Record<string, unknown> }[] | undefined): GraphQLOutcome {
  if (!errors || errors.length === 0) return 'ok';
  return errors.some((error) => SERVER_ERROR_CODES.has(String(error.extensions?.code))) ? 'server_error' : 'client_error';
}
