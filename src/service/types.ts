import type { ServerFrame } from '../protocol/frames.js'

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
 * Posts frames to connections. The service depends on this shape only, so tests can pass a
 * recording fake and production passes `createBroadcaster` (API Gateway management API).
 */
export interface Broadcaster {
  post(deliveries: readonly Delivery[]): Promise<BroadcastReport>
}

/** Structured log sink. Values are data, never format strings: they are written as JSON. */
export interface ServiceLogger {
  error(event: string, details: Record<string, unknown>): void
  warn(event: string, details: Record<string, unknown>): void
}
