import { invalidTarget } from '../errors.js'

/**
 * The resource a request names with `resource` (RFC 8707 §2), or null when it names none (then
 * the token is for Portcullis itself, as before resource indicators). A value that is not one
 * of the operator's configured resources, compared as exact strings, is refused with 400
 * invalid_target: a token is never minted for an audience the operator did not name.
 */
export function requestedResource(
  raw: string | undefined,
  configured: readonly string[],
): string | null {
  if (raw === undefined || raw === '') return null
  if (!configured.includes(raw)) {
    throw invalidTarget('resource is not an API this server issues tokens for')
  }
  return raw
}
