import { type CommandInput, UsageError } from './command.js'

type Values = CommandInput['values']

/** The string option `name`, or a UsageError saying it is required. */
export function requiredString(values: Values, name: string): string {
  const value = values[name]
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`)
  return value
}

export function optionalString(values: Values, name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

/** Splits a list option given as `a,b`, `a b` or `a, b`. */
export const listOption = (values: Values, name: string): string[] =>
  optionalString(values, name)
    ?.split(/[\s,]+/)
    .filter(Boolean) ?? []

/** The values of a repeatable option (`multiple: true`), in the order given. */
export function repeatedOption(values: Values, name: string): string[] {
  const value = values[name]
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return typeof value === 'string' ? [value] : []
}

/** A whole-number option within bounds, or a UsageError naming it. */
export function intOption(
  values: Values,
  name: string,
  fallback: number,
  min: number,
  max: number,
) {
  const value = optionalString(values, name)
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`)
  }
  return n
}
