import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { ApiError } from '../errors.js'

/**
 * preValidation hook factory: 415 unless the body's media type is `mediaType`. Fastify parses
 * every registered type on every route; this keeps each endpoint to the one its RFC names.
 */
export function requireContentType(mediaType: string) {
  return function requireMediaType(
    request: FastifyRequest,
    _reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ) {
    const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
    if (type !== mediaType) {
      return done(new ApiError('unsupported_media_type', `the body must be ${mediaType}`))
    }
    done()
  }
}
