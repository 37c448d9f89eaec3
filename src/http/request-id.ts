import { randomBytes } from 'node:crypto'

// 2^31 - 1: the counter stays a small integer (V8 Smi), so incrementing it never allocates.
const smiMax = 0x7fffffff

/**
 * A request id generator for Fastify's `genReqId`: a random prefix (48 bits, base64url) drawn
 * when the generator is made and again whenever the counter wraps, then a counter in base 36,
 * e.g. `k3J9aQ-1a2b`. Ids never repeat within a process (a new prefix replaces the old before
 * a counter value comes back), and processes (cluster workers, restarts) draw their own
 * prefixes, so log lines of different processes do not share ids. A counter costs a fraction
 * of a random UUID per request; the id is a log correlation handle, never a secret.
 * `wrapAt` (ids per prefix) exists for the tests.
 */
export function requestIds(wrapAt = smiMax): () => string {
  let prefix = ''
  let counter = wrapAt
  return function nextRequestId() {
    if (counter === wrapAt) {
      prefix = `${randomBytes(6).toString('base64url')}-`
      counter = 0
    }
    counter++
    return prefix + counter.toString(36)
  }
}
