import { randomBytes } from 'node:crypto'
import * as argon2 from '@node-rs/argon2'
import { median } from './stats.js'

// Portcullis's defaults (src/config/passwords.ts); @node-rs/argon2's Algorithm is a const enum: 2 = argon2id.
const params = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const

/** Median milliseconds of one argon2id hash with Portcullis's default parameters, sequentially. */
export async function medianHashMs(samples = 21, warmup = 3): Promise<number> {
  const password = randomBytes(18).toString('base64url')
  const times: number[] = []
  for (let i = 0; i < warmup + samples; i++) {
    const start = performance.now()
    await argon2.hash(password, params)
    if (i >= warmup) times.push(performance.now() - start)
  }
  return median(times)
}

/**
 * Hashes per second with `concurrency` hashes in flight, in this process: what the hardware
 * gives argon2 alone, to tell a server overhead from a machine that does not scale per core.
 */
export async function parallelHashesPerSecond(concurrency: number, total = 80): Promise<number> {
  const password = randomBytes(18).toString('base64url')
  let left = total
  const start = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await argon2.hash(password, params)
    }),
  )
  return (total * 1000) / (performance.now() - start)
}
