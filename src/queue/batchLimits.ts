import { ChatDbError } from '../errors.js'
import { MAX_QUEUE_BATCH, MAX_QUEUE_BATCH_BYTES, MAX_QUEUE_DELAY_MS, type OutgoingMessage } from './types.js'

const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/

/**
 * Refuses a batch SQS would refuse, before anything is sent: so both adapters fail the same
 * way, and a caller learns of an oversized job from a code rather than a partial send.
 */
export function checkBatch(queueName: string, messages: readonly OutgoingMessage[]): void {
  if (messages.length === 0 || messages.length > MAX_QUEUE_BATCH) {
    throw new ChatDbError(
      'queue.batchTooLarge',
      `a batch for queue "${queueName}" holds 1–${MAX_QUEUE_BATCH} messages, not ${messages.length}`,
    )
  }
  const ids = new Set<string>()
  let bytes = 0
  for (const { id, body, delayMs = 0 } of messages) {
    if (!ENTRY_ID.test(id) || ids.has(id)) {
      throw new ChatDbError(
        'queue.badEntryId',
        `batch entry id ${JSON.stringify(id)} is ${ids.has(id) ? 'repeated' : 'not 1–80 letters, digits, - or _'}`,
      )
    }
    ids.add(id)
    if (body.length === 0) throw new ChatDbError('queue.emptyMessage', `message "${id}" has an empty body`)
    if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_QUEUE_DELAY_MS) {
      throw new ChatDbError(
        'queue.badOption',
        `message "${id}" has a delay of ${delayMs} ms, not 0–${MAX_QUEUE_DELAY_MS}`,
      )
    }
    bytes += Buffer.byteLength(body, 'utf8')
  }
  if (bytes > MAX_QUEUE_BATCH_BYTES) {
    throw new ChatDbError(
      'queue.batchTooLong',
      `a batch of ${bytes} bytes exceeds the ${MAX_QUEUE_BATCH_BYTES} a queue takes at once`,
    )
  }
}

export function checkMaxMessages(maxMessages: number): number {
  if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > MAX_QUEUE_BATCH) {
    throw new ChatDbError('queue.badOption', `maxMessages must be 1–${MAX_QUEUE_BATCH}, not ${maxMessages}`)
  }
  return maxMessages
}
