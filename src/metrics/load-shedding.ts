import { Counter, type Registry } from 'prom-client'

/** `portcullis_load_shed_total`: requests refused with 503 while the event loop lagged. */
export function loadSheddingMetrics(registry: Registry): () => void {
  const shed = new Counter({
    name: 'portcullis_load_shed_total',
    help: 'Requests refused with 503 by load shedding (the event loop lagged past PORTCULLIS_MAX_EVENT_LOOP_DELAY_MS).',
    registers: [registry],
  })
  return () => shed.inc()
}
