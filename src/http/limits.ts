/** Largest body accepted on the auth routes; nothing they take comes near it (issue #2). */
export const authBodyLimit = 16 * 1024
