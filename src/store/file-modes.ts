import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  mkdirSync,
  openSync,
  statSync,
} from 'node:fs'
import { dirname } from 'node:path'

// The database holds the private signing keys: only the server's own user may read it.
const dirMode = 0o700
const fileMode = 0o600

/** The files SQLite keeps for the database at `path` in WAL mode. */
const databaseFiles = (path: string) => [path, `${path}-wal`, `${path}-shm`]

/**
 * Prepares a SQLite database file before SQLite opens it: creates its directory 0700 and the
 * empty file 0600 when they do not exist yet, whatever the process umask (the modes are set
 * explicitly after creation), so no secret is ever written to a file others can read. SQLite
 * gives the `-wal` and `-shm` files it creates the mode of the database file. Returns whether
 * the database file was created (then `tightenCreated` fixes its companions too).
 */
export function createPrivately(path: string): boolean {
  const dir = dirname(path)
  if (mkdirSync(dir, { recursive: true, mode: dirMode }) !== undefined) chmodSync(dir, dirMode)
  let fd: number
  try {
    // O_EXCL: never adopt a file (or a symlink) someone else put there in the meantime.
    fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, fileMode)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    fchmodSync(fd, fileMode)
  } finally {
    closeSync(fd)
  }
  return true
}

/** Sets 0600 on the database files that exist (after SQLite created its `-wal` and `-shm`). */
export function tightenCreated(path: string): void {
  for (const file of databaseFiles(path)) if (existsSync(file)) chmodSync(file, fileMode)
}

/**
 * One warning per existing database directory or file that its group or others may read or
 * write (an operator's choice, or a deployment from before the modes were set), naming the fix.
 */
export function looseModeWarnings(path: string): string[] {
  const warnings: string[] = []
  for (const [file, mode] of [
    [dirname(path), dirMode],
    ...databaseFiles(path).map((f) => [f, fileMode] as const),
  ] as const) {
    let actual: number
    try {
      actual = statSync(file).mode & 0o777
    } catch {
      continue
    }
    if ((actual & 0o077) !== 0) {
      warnings.push(
        `${file} is accessible to group or others (mode ${actual.toString(8).padStart(4, '0')}); it holds private keys: chmod ${mode.toString(8)} it`,
      )
    }
  }
  return warnings
}
