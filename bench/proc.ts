// What the kernel knows about a process, read from /proc (Linux): CPU time and resident memory.
// The bench measures its children this way instead of trusting their own reports.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

let ticks: number | undefined

/** Clock ticks per second (`getconf CLK_TCK`), the unit of the CPU fields of /proc/<pid>/stat. */
export function clockTicks(): number {
  if (ticks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
    const parsed = Number(out.stdout?.trim())
    ticks = Number.isFinite(parsed) && parsed > 0 ? parsed : 100
  }
  return ticks
}

/**
 * The fields of a /proc/<pid>/stat line after the command name, which may hold spaces and
 * parentheses: index 0 is field 3 (state), so field N (1-based, proc(5)) is at N - 3.
 */
export function statFields(line: string): string[] {
  return line.slice(line.lastIndexOf(')') + 2).split(' ')
}

function stat(pid: number | 'self'): string[] | undefined {
  try {
    return statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return undefined
  }
}

const field = (fields: string[] | undefined, n: number) => Number(fields?.[n - 3] ?? 0)

/** CPU seconds (user + system, fields 14 and 15) used so far by `pid`; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  const f = stat(pid)
  return (field(f, 14) + field(f, 15)) / clockTicks()
}

/**
 * CPU seconds of this process's children that have exited and been waited for (cutime +
 * cstime, fields 16 and 17): the delta across one child's life is that child's CPU time, as
 * long as no other child ended meanwhile.
 */
export function reapedChildrenCpuSeconds(): number {
  const f = stat('self')
  return (field(f, 16) + field(f, 17)) / clockTicks()
}

/** Every process below `pid` (children, grandchildren…), found by each process's parent id. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const parent = field(stat(Number(name)), 4)
    parents.set(parent, [...(parents.get(parent) ?? []), Number(name)])
  }
  const found: number[] = []
  const queue = [pid]
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const children = parents.get(next) ?? []
    found.push(...children)
    queue.push(...children)
  }
  return found
}

/** `pid` and its descendants. */
export const processTree = (pid: number): number[] => [pid, ...descendants(pid)]

/** CPU seconds used so far by `pid` and its descendants still running. */
export const treeCpuSeconds = (pid: number): number =>
  processTree(pid).reduce((sum, p) => sum + cpuSeconds(p), 0)

/** Resident memory in bytes: now (VmRSS) and the high-water mark (VmHWM); 0 when gone. */
export interface Memory {
  rssBytes: number
  peakBytes: number
}

/** VmRSS and VmHWM of `pid` from /proc/<pid>/status. */
export function memory(pid: number): Memory {
  let status = ''
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return { rssBytes: 0, peakBytes: 0 }
  }
  const kb = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0)
  return { rssBytes: kb('VmRSS') * 1024, peakBytes: kb('VmHWM') * 1024 }
}

/** The sums over `pid` and its descendants (a cluster primary and its workers). */
export function treeMemory(pid: number): Memory {
  return processTree(pid)
    .map(memory)
    .reduce((a, b) => ({ rssBytes: a.rssBytes + b.rssBytes, peakBytes: a.peakBytes + b.peakBytes }))
}
