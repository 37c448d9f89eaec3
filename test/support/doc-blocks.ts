import { readFileSync } from 'node:fs'

/** One fenced shell block of a Markdown file. */
export interface ShellBlock {
  file: string
  /** The line of its opening fence, counted from 1. */
  line: number
  code: string
  /** Why it is not run, from `<!-- not-runnable: reason -->` on the line before its fence. */
  notRunnable?: string
}

const shellFence = /^```(sh|bash|shell|console)\s*$/
const marker = /^<!--\s*not-runnable:\s*(.*?)\s*-->$/

/**
 * The shell blocks of a Markdown file, in order. A block is marked not runnable by the comment
 * `<!-- not-runnable: reason -->` as the last non-blank line before its fence; a marker without
 * a reason, or one before anything but a shell block, is an error.
 */
export function shellBlocks(file: string): ShellBlock[] {
  const lines = readFileSync(file, 'utf8').split('\n')
  const blocks: ShellBlock[] = []
  let pending: { reason: string; line: number } | undefined
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? ''
    const mark = marker.exec(text.trim())
    if (mark) {
      if (!mark[1]) throw new Error(`${file}:${i + 1}: not-runnable needs a reason`)
      pending = { reason: mark[1], line: i + 1 }
      continue
    }
    if (text.trim() === '') continue
    if (text.trimStart().startsWith('```')) {
      const end = lines.findIndex((l, j) => j > i && l.trimStart().startsWith('```'))
      if (end < 0) throw new Error(`${file}:${i + 1}: unterminated code block`)
      if (shellFence.test(text.trim())) {
        blocks.push({
          file,
          line: i + 1,
          code: lines
            .slice(i + 1, end)
            .map((l) => l.slice(text.length - text.trimStart().length))
            .join('\n'),
          ...(pending ? { notRunnable: pending.reason } : {}),
        })
      } else if (pending) {
        throw new Error(`${file}:${pending.line}: not-runnable marks a block that is not shell`)
      }
      pending = undefined
      i = end
      continue
    }
    if (pending) throw new Error(`${file}:${pending.line}: not-runnable is not before a code block`)
  }
  return blocks
}
