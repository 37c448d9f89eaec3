/** Largest body accepted on the auth routes; nothing they take comes near it. */
export const authBodyLimit = 16 * 1024

/** Largest request head (request line and headers) Node accepts; beyond it, 431. Node's default. */
export const maxHeaderSize = 16 * 1024

/** How often Node checks the headers and request timeouts of open connections. */
export const timeoutCheckIntervalMs = 1000

/** Deepest nesting of arrays and objects accepted in a JSON body; fields here nest two or three. */
export const maxJsonDepth = 32
