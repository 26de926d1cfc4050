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

/** A large room as the repository answered for it: its name and its number of shards. */
export interface LargeRoom {
  roomName: string
  shards: number
}

/**
 * Sends a frame to every member of a large room (docs/data-model.md, "Large rooms"): the port
 * the service publishes through, so it knows neither the room's partitions nor a queue's jobs.
 * Its adapters are in `src/fanout/`: `createQueuePublisher` (one fan-out job per partition on
 * the queue the fan-out worker reads) and `createInlinePublisher` (the route posts partition by
 * partition itself).
 */
export type LargeRoomPublisher =
  | {
      /**
       * Delivers at once, through the route's own broadcaster: the service publishes a message
       * after storing it, and nothing can run later (no trailing `roomStats`).
       */
      kind: 'inline'
      publish(room: LargeRoom, frame: ServerFrame): Promise<void>
    }
  | {
      /**
       * Queues the frame for the fan-out worker: the service publishes a message before storing
       * it (a failure to queue leaves nothing stored), and can schedule a trailing `roomStats`.
       */
      kind: 'queue'
      publish(room: LargeRoom, frame: ServerFrame): Promise<void>
      /** Has the worker send the room's count after `delayMs` if it changed (`runTrailingStats`). */
      scheduleRoomStats(
        room: LargeRoom,
        { intervalMs, delayMs }: { intervalMs: number; delayMs: number },
      ): Promise<void>
    }
