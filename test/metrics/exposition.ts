/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** A parsed exposition: `# TYPE` by metric name, and every sample. */
export interface Parsed {
  types: Map<string, string>
  samples: Sample[]
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Parses the Prometheus text format (0.0.4); throws on a line it does not understand. */
export function parseExposition(text: string): Parsed {
  const types = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (type?.[1] && type[2]) {
      types.set(type[1], type[2])
      continue
    }
    const sample = sampleLine.exec(line)
    if (!sample?.[1] || sample[3] === undefined) throw new Error(`unparsed line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (sample[2] ?? '').matchAll(labelPair)) {
      if (key !== undefined && value !== undefined) labels[key] = value
    }
    samples.push({ name: sample[1], labels, value: Number(sample[3]) })
  }
  return { types, samples }
}

/**
 * The value of the one sample `name` with exactly `labels` (histogram `le` included when
 * given); throws when there is none or more than one, so a test cannot read the wrong series.
 */
export function sampleValue(parsed: Parsed, name: string, labels: Record<string, string> = {}) {
  const wanted = Object.entries(labels)
  const found = parsed.samples.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === wanted.length &&
      wanted.every(([k, v]) => s.labels[k] === v),
  )
  if (found.length !== 1) {
    throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`)
  }
  return (found[0] as Sample).value
}

/** Every label set of the samples named `name`. */
export function labelSets(parsed: Parsed, name: string): Record<string, string>[] {
  return parsed.samples.filter((s) => s.name === name).map((s) => s.labels)
}
