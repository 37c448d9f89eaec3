import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { LoadSummary } from './load-job.js'
import { median } from './stats.js'

/** One line of the results table. Rates in requests per second, latencies in milliseconds. */
export interface Row {
  scenario: string
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  /** Against the ceiling or the ideal, e.g. "0.62× ceiling". */
  ratio: string
  non2xx: number
  /** Socket errors plus timeouts. */
  errors: number
  target: string
  verdict: 'PASS' | 'FAIL' | ''
  /**
   * Client and server CPU use (busy shares of their cores) and a CLIENT-BOUND flag when the
   * load generator rather than the server was the limit; empty where not measured.
   */
  cpu?: string
}

/** Several runs of one scenario reduced to medians; failures are summed. */
export interface Aggregate {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  non2xx: number
  errors: number
  runs: LoadSummary[]
}

/** Medians of rate and latency percentiles across `runs`; sums of non-2xx and errors. */
export function aggregate(runs: LoadSummary[]): Aggregate {
  return {
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors + r.timeouts, 0),
    runs,
  }
}

const headers = [
  'Scenario',
  'req/s',
  'p50 ms',
  'p99 ms',
  'ratio',
  'non-2xx',
  'errors',
  'CPU (busy share)',
  'target',
]

function cells(row: Row): string[] {
  return [
    row.scenario,
    row.requestsPerSecond.toFixed(0),
    row.p50Ms.toFixed(2),
    row.p99Ms.toFixed(2),
    row.ratio,
    String(row.non2xx),
    String(row.errors),
    row.cpu ?? '',
    row.verdict ? `${row.target}: ${row.verdict}` : row.target,
  ]
}

/** The rows as an aligned plain-text table for the terminal. */
export function textTable(rows: Row[]): string {
  const table = [headers, ...rows.map(cells)]
  const widths = headers.map((_, i) => Math.max(...table.map((line) => line[i]?.length ?? 0)))
  const line = (values: string[]) =>
    values.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0)))
  return table.map((values) => line(values).join('  ').trimEnd()).join('\n')
}

/** The rows as a Markdown table, for the README. */
export function markdownTable(rows: Row[]): string {
  const align = headers.map((_, i) => (i === 0 || i === headers.length - 1 ? '---' : '---:'))
  return [headers, align, ...rows.map(cells)].map((r) => `| ${r.join(' | ')} |`).join('\n')
}

/** Writes `data` as pretty JSON to `path`, creating its directory. */
export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`)
}

/** A table row; a target's verdict is FAIL as well when any response was non-2xx or failed. */
export function resultRow(
  scenario: string,
  a: Aggregate,
  ratio: string,
  target = '',
  ok?: boolean,
  cpu?: string,
): Row {
  const clean = a.non2xx + a.errors === 0
  return {
    scenario,
    requestsPerSecond: a.requestsPerSecond,
    p50Ms: a.p50Ms,
    p99Ms: a.p99Ms,
    ratio,
    non2xx: a.non2xx,
    errors: a.errors,
    target: clean ? target : `${target} (non-2xx or errors)`.trim(),
    verdict: ok === undefined && clean ? '' : ok && clean ? 'PASS' : 'FAIL',
    ...(cpu === undefined ? {} : { cpu }),
  }
}

/** `x` as a ratio cell, e.g. "0.62× ceiling". */
export const times = (x: number, of: string) => `${x.toFixed(2)}× ${of}`

/** A figure beside its target, outside the load tables (memory, start-up). */
export interface FigureRow {
  figure: string
  value: string
  target: string
  verdict: 'PASS' | 'FAIL' | ''
}

/** Figure rows as an aligned plain-text table. */
export function figureTable(rows: FigureRow[]): string {
  const table = [
    ['Figure', 'value', 'target'],
    ...rows.map((r) => [r.figure, r.value, r.verdict ? `${r.target}: ${r.verdict}` : r.target]),
  ]
  const widths = [0, 1, 2].map((i) => Math.max(...table.map((line) => line[i]?.length ?? 0)))
  return table
    .map((line) =>
      line
        .map((v, i) => (i === 1 ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/** Figure rows as a Markdown table. */
export function figureMarkdown(rows: FigureRow[]): string {
  return [
    '| Figure | value | target |',
    '| --- | ---: | --- |',
    ...rows.map(
      (r) => `| ${r.figure} | ${r.value} | ${r.verdict ? `${r.target}: ${r.verdict}` : r.target} |`,
    ),
  ].join('\n')
}
