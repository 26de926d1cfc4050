import type { ServerFrame } from './frames.js'

/** One frame for one connection. */
export interface Delivery {
  connectionId: string
  frame: ServerFrame
}

/** What became of each delivery; connections already known to be gone are in no list (they are skipped). */
export interface BroadcastReport {
  /** Connections that got their frame. */
  delivered: string[]
  /** Connections API Gateway says are gone (HTTP 410); `onGone` was called for each. */
  gone: string[]
  /** Connections whose post failed otherwise (logged; the others still got theirs). */
  failed: { connectionId: string; error: unknown }[]
}

/**
 * Posts frames to connections: the port of the service and the fan-out worker, so tests can pass
 * a recording fake and production passes `createBroadcaster` (API Gateway management API).
 */
export interface Broadcaster {
  post(deliveries: readonly Delivery[]): Promise<BroadcastReport>
}
