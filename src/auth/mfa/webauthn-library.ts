/**
 * @simplewebauthn/server, loaded by the first passkey ceremony instead of at start: the library
 * and its ASN.1/X.509 dependencies are the costliest modules of the import graph (about 0.3 s of
 * CPU), and a server may run for long without seeing a passkey. Node caches the module, so every
 * later ceremony gets the same instance at once.
 */
export const webauthnLibrary = () => import('@simplewebauthn/server')

/** The library's helpers (`decodeClientDataJSON`), loaded like {@link webauthnLibrary}. */
export const webauthnHelpers = () => import('@simplewebauthn/server/helpers')
