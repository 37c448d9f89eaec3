/** A one-line progress display on a terminal. */
export interface Progress {
  /** `done` items so far; `fraction` of the whole (0 to 1) when known. */
  update(done: number, fraction: number | null): void
  /** Clears the line. */
  end(): void
}

const redrawMs = 100

/**
 * A progress bar redrawn in place on `stream` (at most every 100 ms) with the count and the
 * rate: `[#######-------]  45%  45000 rows  9120 rows/s`. Draws nothing unless the stream is a
 * terminal, so piped or logged output stays clean.
 */
export function progressBar(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  unit: string,
  now: () => number = Date.now,
): Progress {
  if (!stream.isTTY) return { update() {}, end() {} }
  const started = now()
  let drawn = 0
  return {
    update(done, fraction) {
      const at = now()
      if (at - drawn < redrawMs) return
      drawn = at
      const rate = Math.round((done * 1000) / Math.max(1, at - started))
      const counts = `${done} ${unit}  ${rate} ${unit}/s`
      if (fraction === null) {
        stream.write(`\r\x1b[K${counts}`)
        return
      }
      const clamped = Math.min(1, Math.max(0, fraction))
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - counts.length - 10))
      const filled = Math.round(clamped * width)
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
      const percent = `${Math.floor(clamped * 100)}%`.padStart(4)
      stream.write(`\r\x1b[K${bar} ${percent}  ${counts}`)
    },
    end() {
      if (drawn > 0) stream.write('\r\x1b[K')
    },
  }
}
