import { describe, expect, it } from 'vitest'
import { isChatDbError } from '../../src/errors.js'
import { INVALID_MESSAGE_CONTENTS, type QueuePort, type ReceivedMessage } from '../../src/queue/types.js'
import { sleep } from '../../src/util/concurrency.js'

export interface ContractQueues {
  queue: QueuePort
  /** Where messages go after `maxReceiveCount` receives. */
  deadLetters: QueuePort
}

/**
 * Makes a fresh queue with this visibility timeout and redrive (`maxReceiveCount`) to a fresh
 * dead-letter queue. SQS counts visibility in whole seconds, so the SQS adapter is run with
 * `visibilityMs` 1,000 and the memory one with a shorter time.
 */
export type MakeQueues = (settings: {
  visibilityMs: number
  maxReceiveCount: number
}) => Promise<ContractQueues>

const bodies = (messages: readonly ReceivedMessage[]) => messages.map((m) => m.body).sort()

/** Receives until `count` messages came or `attempts` receives found nothing more. */
async function receiveAll(queue: QueuePort, count: number, attempts = 10): Promise<ReceivedMessage[]> {
  const received: ReceivedMessage[] = []
  for (let i = 0; i < attempts && received.length < count; i++) {
    received.push(...(await queue.receive({ maxMessages: 10, waitTimeMs: 200 })))
  }
  return received
}

async function rejectsWith(promise: Promise<unknown>, code: Parameters<typeof isChatDbError>[1]) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isChatDbError(error, code), `expected ${code}, got ${String(error)}`).toBe(true)
}

/**
 * The SQS semantics the fan-out relies on, kept by every {@link QueuePort}: run against the
 * memory queue (test/unit) and against the SQS adapter on fauxqs (test/integration).
 */
export function queueContract(name: string, make: MakeQueues, visibilityMs: number) {
  const fresh = () => make({ visibilityMs, maxReceiveCount: 2 })

  describe(`${name} (QueuePort contract)`, () => {
    it('delivers every message of a batch, at most 10 per receive', async () => {
      const { queue } = await fresh()
      const sent = Array.from({ length: 10 }, (_, i) => ({ id: `m${i}`, body: `job ${i}` }))
      expect(await queue.sendBatch(sent)).toEqual({ failed: [] })
      await queue.sendBatch([{ id: 'extra', body: 'job 10' }])
      const received = await receiveAll(queue, 11)
      expect(bodies(received)).toEqual([...sent.map((m) => m.body), 'job 10'].sort())
      expect(new Set(received.map((m) => m.messageId)).size).toBe(11)
      for (const message of received) {
        expect(message.receiveCount).toBe(1)
        expect(message.sentAt).toBeGreaterThan(0)
      }
    })

    it('refuses a batch SQS would refuse, sending nothing of it', async () => {
      const { queue } = await fresh()
      const eleven = Array.from({ length: 11 }, (_, i) => ({ id: `m${i}`, body: 'x' }))
      await rejectsWith(queue.sendBatch(eleven), 'queue.batchTooLarge')
      await rejectsWith(queue.sendBatch([]), 'queue.batchTooLarge')
      const tooLong = [
        { id: 'a', body: 'x'.repeat(200_000) },
        { id: 'b', body: 'y'.repeat(62_145) },
      ]
      await rejectsWith(queue.sendBatch(tooLong), 'queue.batchTooLong')
      await rejectsWith(
        queue.sendBatch([
          { id: 'same', body: 'x' },
          { id: 'same', body: 'y' },
        ]),
        'queue.badEntryId',
      )
      await rejectsWith(queue.sendBatch([{ id: 'has space', body: 'x' }]), 'queue.badEntryId')
      await rejectsWith(queue.sendBatch([{ id: 'e', body: '' }]), 'queue.emptyMessage')
      await rejectsWith(queue.sendBatch([{ id: 'late', body: 'x', delayMs: 900_001 }]), 'queue.badOption')
      await rejectsWith(queue.sendBatch([{ id: 'early', body: 'x', delayMs: -1 }]), 'queue.badOption')
      await rejectsWith(queue.receive({ maxMessages: 11 }), 'queue.badOption')
      expect(await queue.receive({ waitTimeMs: 0 })).toEqual([])
      // Exactly the limit is taken.
      const atLimit = [
        { id: 'a', body: 'x'.repeat(200_000) },
        { id: 'b', body: 'y'.repeat(62_144) },
      ]
      expect(await queue.sendBatch(atLimit)).toEqual({ failed: [] })
    })

    it('fails alone each entry with a character SQS refuses, and takes the rest of the batch', async () => {
      const { queue } = await fresh()
      const result = await queue.sendBatch([
        { id: 'fine', body: 'tab\t, line\n, \ud7ff \ue000 \ufffd' },
        { id: 'fffe', body: 'a\ufffeb' },
        { id: 'ffff', body: '{"message":"\uffff"}' },
        { id: 'lone', body: 'a\ud800b' },
        { id: 'bell', body: 'a\u0007b' },
      ])
      expect(
        result.failed.map(({ id, code }) => ({ id, code })).sort((a, b) => a.id.localeCompare(b.id)),
      ).toEqual(['bell', 'fffe', 'ffff', 'lone'].map((id) => ({ id, code: INVALID_MESSAGE_CONTENTS })))
      const received = await receiveAll(queue, 1)
      expect(bodies(received)).toEqual(['tab\t, line\n, \ud7ff \ue000 \ufffd'])
    })

    it('delivers a message again after its visibility timeout unless it was deleted', async () => {
      const { queue } = await fresh()
      await queue.sendBatch([
        { id: 'kept', body: 'kept' },
        { id: 'done', body: 'done' },
      ])
      const first = await receiveAll(queue, 2)
      expect(bodies(first)).toEqual(['done', 'kept'])
      await queue.deleteBatch(first.filter((m) => m.body === 'done').map((m) => m.receiptHandle))
      // Invisible while in flight.
      expect(await queue.receive({ waitTimeMs: 0 })).toEqual([])
      await sleep(visibilityMs + 200)
      const again = await receiveAll(queue, 1)
      expect(again.map((m) => [m.body, m.receiveCount])).toEqual([['kept', 2]])
      expect(again[0]?.messageId).toBe(first.find((m) => m.body === 'kept')?.messageId)
      await queue.deleteBatch(again.map((m) => m.receiptHandle))
      await sleep(visibilityMs + 200)
      expect(await queue.receive({ waitTimeMs: 0 })).toEqual([])
    })

    it('keeps a delayed message invisible until its delay is over, then delivers it', async () => {
      const { queue } = await fresh()
      const sentAt = Date.now()
      await queue.sendBatch([
        { id: 'later', body: 'later', delayMs: 2_000 },
        { id: 'now', body: 'now' },
      ])
      const first = await receiveAll(queue, 1)
      expect(bodies(first)).toEqual(['now'])
      await queue.deleteBatch(first.map((m) => m.receiptHandle))
      expect(await queue.receive({ waitTimeMs: 0 })).toEqual([])
      const later = await receiveAll(queue, 1, 30)
      expect(bodies(later)).toEqual(['later'])
      // SQS counts whole seconds: not before the delay.
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1_900)
      expect(later[0]?.receiveCount).toBe(1)
    })

    it('makes a message visible at once when its visibility is changed to 0', async () => {
      const { queue } = await fresh()
      await queue.sendBatch([{ id: 'a', body: 'retry me' }])
      const [message] = await receiveAll(queue, 1)
      await queue.changeVisibility(message?.receiptHandle as string, 0)
      const again = await receiveAll(queue, 1)
      expect(again.map((m) => [m.body, m.receiveCount])).toEqual([['retry me', 2]])
    })

    it('moves a message received maxReceiveCount times without a delete to the dead-letter queue', async () => {
      const { queue, deadLetters } = await fresh()
      await queue.sendBatch([{ id: 'poison', body: 'poison' }])
      for (let receive = 1; receive <= 2; receive++) {
        const [message] = await receiveAll(queue, 1)
        expect(message?.receiveCount).toBe(receive)
        await queue.changeVisibility(message?.receiptHandle as string, 0)
      }
      expect(await queue.receive({ waitTimeMs: 300 })).toEqual([])
      const dead = await receiveAll(deadLetters, 1)
      expect(bodies(dead)).toEqual(['poison'])
    })

    it('delivers every one of 100 messages received by 4 consumers at once, each deleted once', async () => {
      const { queue } = await fresh()
      const sent = Array.from({ length: 100 }, (_, i) => `job ${i}`)
      for (let i = 0; i < sent.length; i += 10) {
        await queue.sendBatch(sent.slice(i, i + 10).map((body, j) => ({ id: `m${j}`, body })))
      }
      const seen: string[] = []
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let idle = 0; idle < 2; ) {
            const messages = await queue.receive({ waitTimeMs: 100 })
            if (messages.length === 0) idle++
            seen.push(...messages.map((m) => m.body))
            await queue.deleteBatch(messages.map((m) => m.receiptHandle))
          }
        }),
      )
      expect(seen.sort()).toEqual([...sent].sort())
    })
  })
}
