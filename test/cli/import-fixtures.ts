import { writeFileSync } from 'node:fs'
import * as argon2 from '@node-rs/argon2'
import * as bcrypt from '@node-rs/bcrypt'

// @node-rs/argon2 declares Algorithm as an ambient const enum, which isolated transpilers cannot inline.
const ARGON2I = 1
const ARGON2ID = 2

/** One password hashed the ways an import file may carry it; `kind` names each hash. */
export interface SampleHash {
  kind: string
  hash: string
}

export interface SampleOptions {
  bcryptCost?: number
  argon2?: { memoryCost: number; timeCost: number }
}

/**
 * `password` hashed with bcrypt as passlib writes it (`$2b$`, cost 4 unless given) and with
 * argon2id and argon2i (by default at 128 KiB, below the tests' 256 KiB, so that a login
 * re-hashes them too).
 */
export async function sampleHashes(
  password: string,
  { bcryptCost = 4, argon2: cost = { memoryCost: 128, timeCost: 1 } }: SampleOptions = {},
): Promise<SampleHash[]> {
  // @node-rs/bcrypt writes $2y$; the three prefixes differ only in history, not in the hash.
  const bcryptHash = `$2b$${(await bcrypt.hash(password, bcryptCost)).slice(4)}`
  const params = { ...cost, parallelism: 1 }
  return [
    { kind: 'bcrypt', hash: bcryptHash },
    { kind: 'argon2id', hash: await argon2.hash(password, { ...params, algorithm: ARGON2ID }) },
    { kind: 'argon2i', hash: await argon2.hash(password, { ...params, algorithm: ARGON2I }) },
  ]
}

/** The username of row `i` of a generated file: `<kind>-user-<i>`, so tests can pick one of a kind. */
export const generatedUsername = (hashes: SampleHash[], i: number) =>
  `${hashes[i % hashes.length]?.kind}-user-${i}`

/**
 * Writes `count` users to `path` as JSON Lines or CSV, cycling through `hashes`, each with its
 * own username and email; returns the path.
 */
export function writeUsersFile(
  path: string,
  count: number,
  hashes: SampleHash[],
  format: 'jsonl' | 'csv' = path.endsWith('.csv') ? 'csv' : 'jsonl',
): string {
  const lines: string[] = format === 'csv' ? ['username,email,full_name,hashed_password'] : []
  for (let i = 0; i < count; i++) {
    const username = generatedUsername(hashes, i)
    const hash = hashes[i % hashes.length]?.hash ?? ''
    const email = `${username}@example.com`
    lines.push(
      format === 'csv'
        ? `${username},${email},"User ${i}, imported","${hash}"`
        : JSON.stringify({ username, email, full_name: `User ${i}`, password_hash: hash }),
    )
  }
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}
