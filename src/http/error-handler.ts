import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import {
  ApiError,
  type ErrorBody,
  type ErrorCode,
  errorStatus,
  hashedPasswordHint,
} from '../errors.js'
import { StoreUnavailableError } from '../store/store.js'

interface ValidationIssue {
  instancePath?: string
  keyword?: string
  message?: string
  params?: Record<string, unknown>
}

/** A readable sentence for the first schema violation, naming the field. */
function describeValidation(context: string, issue: ValidationIssue | undefined): string {
  if (!issue) return 'the request is invalid'
  const path = issue.instancePath?.replace(/^\//, '').replaceAll('/', '.') ?? ''
  const params = issue.params ?? {}
  if (issue.keyword === 'additionalProperties') {
    const field = String(params.additionalProperty)
    return field === 'hashed_password' ? hashedPasswordHint : `unknown field "${field}"`
  }
  if (issue.keyword === 'required') return `"${String(params.missingProperty)}" is required`
  const field = path || context
  if (issue.keyword === 'type' && params.type === 'string') {
    return `"${field}" must be a single string value`
  }
  return `"${field}" ${issue.message ?? 'is invalid'}`
}

function fromFastifyError(error: FastifyError): ApiError | null {
  if (error.validation) {
    const context = error.validationContext ?? 'body'
    return new ApiError('invalid_request', describeValidation(context, error.validation[0]))
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', 'the request body is too large')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'unsupported content type')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('invalid_request', 'the body is not valid JSON')
  }
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    const code = (Object.keys(errorStatus) as ErrorCode[]).find((c) => errorStatus[c] === status)
    return new ApiError(code ?? 'invalid_request', 'the request is invalid')
  }
  return null
}

/**
 * The one error handler: every error leaves as `{error, error_description}`. ApiErrors and
 * client errors keep their status; anything else is logged with its cause and answered with a
 * generic 500 carrying only the request id. No message, SQL or stack of an unexpected error
 * reaches the client.
 */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  let api = error instanceof ApiError ? error : fromFastifyError(error)
  if (!api && error instanceof StoreUnavailableError) {
    request.log.error({ err: error }, 'database unavailable')
    api = new ApiError('temporarily_unavailable', 'the database is unavailable; retry shortly', {
      'retry-after': '2',
    })
  }
  if (!api) {
    request.log.error({ err: error }, 'unhandled error')
    const body: ErrorBody = {
      error: 'server_error',
      error_description: `internal error (request id ${request.id})`,
    }
    return reply.code(500).send(body)
  }
  if (api.status >= 500) request.log.warn({ code: api.code }, api.description)
  const body: ErrorBody = { ...api.fields, error: api.code, error_description: api.description }
  return reply.code(api.status).headers(api.headers).send(body)
}

/** 404 in the same shape. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  const body: ErrorBody = {
    error: 'not_found',
    error_description: `no route for ${request.method} ${request.url.split('?')[0]}`,
  }
  return reply.code(404).send(body)
}
