import { relative, sep } from 'node:path'

/** What the start-up line tells a person at a terminal. */
export interface StartupFacts {
  /** The address the server listens on, e.g. `http://127.0.0.1:8000`. */
  url: string
  /** The configured database URL; only its engine and location are shown, never credentials. */
  databaseUrl: string
  /** Whether some enabled user is an admin; when none is, the line says how to make one. */
  adminExists: boolean
  /** Where relative SQLite paths are shown from; default the working directory. */
  cwd?: string
}

/**
 * The store in words: `SQLite at data/portcullis.db`, `SQLite in memory`, or
 * `PostgreSQL at db.example:5432/portcullis`. A PostgreSQL URL's user, password and query
 * (which may hold a password too) are left out.
 */
export function describeStore(databaseUrl: string, cwd = process.cwd()): string {
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length)
    if (path === ':memory:') return 'SQLite in memory'
    const shown = relative(cwd, path)
    return `SQLite at ${shown === '' || shown.startsWith(`..${sep}`) || shown === '..' ? path : shown}`
  }
  try {
    const url = new URL(databaseUrl)
    return `PostgreSQL at ${url.host}${url.pathname}`
  } catch {
    return 'PostgreSQL'
  }
}

/**
 * The one human line printed after start when standard output is a terminal (the JSON logs
 * stay as they are): where the server listens, where the docs are, which store it uses, and,
 * when there is no admin yet, the command that makes one.
 */
export function startupLine(facts: StartupFacts): string {
  const store = describeStore(facts.databaseUrl, facts.cwd)
  const next = facts.adminExists
    ? ''
    : ' No admin yet: create one with `npx portcullis users create --username NAME --admin`.'
  return `Portcullis is listening on ${facts.url} (docs: ${facts.url}/docs, store: ${store}).${next}`
}
