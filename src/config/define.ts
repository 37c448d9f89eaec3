/** A configuration value that cannot be used; the message names the variable and what it accepts. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** The process environment, or any map standing in for it. */
export type Env = Record<string, string | undefined>

/** One environment variable: its name and the default the README shows for it. */
export interface Variable {
  name: string
  /** A second name read in its place (a tutorial's spelling). */
  alias?: string
  /** The README's default cell, Markdown. */
  shown: string
}

/** A text variable with a default, shown in the README as code. */
export interface TextVariable extends Variable {
  fallback: string
}

/** A true/false variable (`true`/`1`, `false`/`0`). */
export interface BoolVariable extends Variable {
  fallback: boolean
}

/** An integer variable: its default and the range it accepts. */
export interface IntVariable extends Variable {
  fallback: number
  min: number
  max: number
}

/**
 * One row of the README's configuration table: the variables it covers (two for a pair that
 * only works together), their default and what they do. The table is generated from these.
 */
export interface Row {
  variables: readonly Variable[]
  shown: string
  description: string
}

/** A variable whose README default is `shown` (Markdown). */
export const variable = (name: string, shown: string, alias?: string): Variable =>
  alias ? { name, shown, alias } : { name, shown }

/** A text variable whose default is `fallback`. */
export const textVariable = (name: string, fallback: string, alias?: string): TextVariable => ({
  ...variable(name, `\`${fallback}\``, alias),
  fallback,
})

export const boolVariable = (name: string, fallback: boolean): BoolVariable => ({
  name,
  fallback,
  shown: `\`${fallback}\``,
})

/** An integer variable from `min` to `max`; the README shows its default unless `shown` says more. */
export const intVariable = (
  name: string,
  fallback: number,
  min: number,
  max: number,
  shown = `\`${fallback}\``,
): IntVariable => ({ name, fallback, min, max, shown })

/** A README row for one variable, or for a pair sharing one description. */
export function row(
  variables: Variable | readonly Variable[],
  description: string,
  shown?: string,
): Row {
  const list = Array.isArray(variables) ? variables : [variables as Variable]
  return { variables: list, description, shown: shown ?? list.map((v) => v.shown).join(' / ') }
}

/** The row as a Markdown table line, as it stands in the README. */
export function tableLine(r: Row): string {
  const names = r.variables
    .map((v) => `\`${v.name}\`${v.alias ? ` (alias \`${v.alias}\`)` : ''}`)
    .join(' / ')
  return `| ${names} | ${r.shown} | ${r.description} |`
}

/** Reads an integer variable; `fallback` overrides the definition's default when it depends on others. */
export function int(env: Env, v: IntVariable, fallback = v.fallback): number {
  const raw = env[v.name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || value < v.min || value > v.max) {
    throw new ConfigError(`${v.name} must be an integer from ${v.min} to ${v.max} (got "${raw}")`)
  }
  return value
}

/** Reads `name` (the variable's own or its alias): one of `allowed`, else the default. */
export function oneOf<T extends string>(
  env: Env,
  v: TextVariable,
  allowed: readonly T[],
  name = v.name,
): T {
  const raw = env[name]
  if (raw === undefined || raw === '') return v.fallback as T
  if (!allowed.includes(raw as T)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`)
  }
  return raw as T
}

export function bool(env: Env, v: BoolVariable): boolean {
  const raw = env[v.name]
  if (raw === undefined || raw === '') return v.fallback
  if (raw === 'true' || raw === '1') return true
  if (raw === 'false' || raw === '0') return false
  throw new ConfigError(`${v.name} must be true or false (got "${raw}")`)
}

/** Runs a parser that throws plain Errors, naming the variable in the ConfigError. */
export function parsed<T>(env: Env, name: string, parse: (raw: string | undefined) => T): T {
  try {
    return parse(env[name])
  } catch (error) {
    throw new ConfigError(`${name} ${(error as Error).message}`)
  }
}

/** Printable ASCII without quote or backslash: safe inside a quoted header parameter. */
export function headerSafe(env: Env, v: Variable, fallback: string): string {
  const raw = env[v.name]
  if (raw === undefined || raw === '') return fallback
  if (!/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/.test(raw) || raw.trim() === '') {
    throw new ConfigError(`${v.name} must be printable ASCII without " or \\ (got "${raw}")`)
  }
  return raw
}
