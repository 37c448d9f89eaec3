/**
 * `portcullis/verify`: verify Portcullis access tokens in another service.
 *
 * - {@link createVerifier} → `verify(token)`: typed claims or a {@link VerifyError}.
 * - {@link requireScopes}: 403 `insufficient_scope` unless every scope was granted.
 * - {@link portcullisAuth}: a Fastify plugin adding `app.requireScopes(...)` and `request.auth`.
 * - {@link verifyRequest}: the same for Express, Hono or `node:http`.
 * - Only user tokens pass by default; `subject: 'client'` (a {@link TokenSubject}) marks a
 *   machine route that accepts `client_credentials` tokens.
 *
 * @packageDocumentation
 */
export { bearerTokenOf, type RequestLike, verifyRequest } from './bearer.js'
export { requireScopes, scopesOf, type VerifiedClaims } from './claims.js'
export {
  bearerChallenge,
  defaultRealm,
  VerifyError,
  type VerifyErrorCode,
  type VerifyErrorOptions,
} from './errors.js'
export {
  claimsOf,
  type PortcullisAuthOptions,
  portcullisAuth,
  type RequireTokenOptions,
  sendVerifyError,
} from './fastify.js'
export { asymmetricAlgorithms, minSecretBytes, symmetricAlgorithms } from './key-source.js'
export { isClientToken, type TokenSubject, tokenSubjects } from './subject.js'
export {
  createVerifier,
  type JwksVerifierOptions,
  type SecretVerifierOptions,
  type Verifier,
  type VerifierBaseOptions,
  type VerifierOptions,
  type VerifyOptions,
} from './verifier.js'
