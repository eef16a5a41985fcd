import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeCause, MaiError, type ErrorCode } from '../gateway/errors.js';
import type { Logger } from '../gateway/log.js';
import { RequestValidationError, type FieldProblem } from './validation.js';

/**
 * The longest path parameter the router hands to a route (fastify's default is 100):
 * longer than any a route accepts (a project id may be 2048 characters, escaped three
 * times as long), so a long one is the route's own validation error, not the router's.
 */
export const MAX_PARAM_LENGTH = 8192;

/** Fastify's own request errors, as mai codes (the status travels with the code). */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE', message: 'request body too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'MEDIA_TYPE_UNSUPPORTED', message: 'send the body as application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'INPUT_INVALID', message: 'content-length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'INPUT_INVALID', message: 'body: empty, expected a JSON object' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INPUT_INVALID', message: 'body: not valid JSON' },
  // The router's (see `frameworkErrors`).
  FST_ERR_MAX_PARAM_LENGTH: { code: 'INPUT_INVALID', message: `a path parameter longer than ${MAX_PARAM_LENGTH} characters` },
  FST_ERR_BAD_URL: { code: 'INPUT_INVALID', message: 'the path is not valid URL encoding' },
};

/** The one shape every refusal leaves in: `{code, message}` (plus `fields`), with the status of its code. */
function sendError(reply: FastifyReply, code: ErrorCode, message: string, fields?: FieldProblem[]): FastifyReply {
  const status = new MaiError(code, message).httpStatus;
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  return reply.code(status).type('application/json').send(JSON.stringify({ code, message, ...(fields ? { fields } : {}) }));
}

/**
 * The errors fastify's router answers itself, before any route or the error handler: a
 * path that does not decode, a parameter past MAX_PARAM_LENGTH. Without this they left
 * as fastify's own `FST_ERR_*` bodies, one of them a 414 (found by the REST fuzzer).
 */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const known = FASTIFY_CODES[err.code];
  void sendError(reply, known?.code ?? 'INPUT_INVALID', known?.message ?? `invalid request: ${err.message}`);
}

/**
 * Every error leaves as `{code, message}` (plus `fields` for validation) with the
 * status of its code. Unexpected errors are logged with their cause chain and shown
 * only as INTERNAL: a stack or a driver message is not for clients.
 */
export function registerErrorHandler(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let code: ErrorCode;
    let message: string;
    let fields: FieldProblem[] | undefined;
    if (err instanceof MaiError) {
      ({ code, message } = err);
      if (err.httpStatus >= 500) log.error('api.failed', { route: request.routeOptions.url, code, cause: describeCause(err) });
    } else if (err instanceof RequestValidationError) {
      code = 'INPUT_INVALID';
      message = `invalid request: ${err.message}`;
      fields = err.fields;
    } else if (err.code && FASTIFY_CODES[err.code]) {
      ({ code, message } = FASTIFY_CODES[err.code]!);
    } else if (err instanceof SyntaxError || (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)) {
      // a JSON body the parser rejected, or another of fastify's request errors
      code = 'INPUT_INVALID';
      message = err instanceof SyntaxError ? 'body: not valid JSON' : `invalid request: ${err.message}`;
    } else {
      code = 'INTERNAL';
      message = 'internal error';
      log.error('api.internal', { route: request.routeOptions.url, cause: describeCause(err) });
    }
    return sendError(reply, code, message, fields);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 'ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
}
