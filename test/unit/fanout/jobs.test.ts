import { describe, expect, it } from 'vitest'
import { isChatDbError } from '../../../src/errors.js'
import {
  broadcastJobs,
  packJobs,
  parseQueuedJob,
  type RetryJob,
  type RoomStatsJob,
  type ShardJob,
} from '../../../src/fanout/jobs.js'
import type { ServerFrame } from '../../../src/protocol/frames.js'
import { MAX_QUEUE_BATCH_BYTES } from '../../../src/queue/types.js'

const frameOf = (text: string): ServerFrame => ({
  type: 'newMessage',
  roomName: 'big',
  message: { id: 'm', userName: 'ada', message: text, time: 1 },
})
/** A job as an older router wrote it, without `kind`. */
const untagged = ({ kind: _, ...rest }: ShardJob | RetryJob) => rest

const job = (shard: number, text = 'hi'): ShardJob => ({
  v: 1,
  kind: 'shard',
  roomName: 'big',
  shard,
  frame: frameOf(text),
  attempt: 0,
})

describe('packJobs', () => {
  it('packs at most 10 jobs per batch', () => {
    const batches = packJobs(Array.from({ length: 64 }, (_, i) => job(i)))
    expect(batches.map((b) => b.length)).toEqual([10, 10, 10, 10, 10, 10, 4])
    expect(batches.flat().map((m) => parseQueuedJob(m.body))).toEqual(
      Array.from({ length: 64 }, (_, i) => job(i)),
    )
    expect(batches.flat().map((m) => JSON.parse(m.body).shard)).toEqual(
      Array.from({ length: 64 }, (_, i) => i),
    )
  })

  it('keeps each batch within 256 KiB of bodies', () => {
    const batches = packJobs(Array.from({ length: 10 }, (_, i) => job(i, 'x'.repeat(60_000))))
    for (const batch of batches) {
      const bytes = batch.reduce((n, m) => n + Buffer.byteLength(m.body), 0)
      expect(bytes).toBeLessThanOrEqual(MAX_QUEUE_BATCH_BYTES)
    }
    expect(batches.map((b) => b.length)).toEqual([4, 4, 2])
  })

  it('refuses a job over 256 KiB', () => {
    const error = (() => {
      try {
        packJobs([
          {
            v: 1,
            kind: 'retry',
            roomName: 'big',
            connectionIds: Array.from({ length: 20_000 }, (_, i) => `conn-${i}-abcdef=`),
            frame: frameOf('hi'),
            attempt: 1,
          },
        ])
      } catch (e) {
        return e
      }
    })()
    expect(isChatDbError(error, 'queue.batchTooLong')).toBe(true)
  })
})

const retry: RetryJob = {
  v: 1,
  kind: 'retry',
  roomName: 'big',
  connectionIds: ['a='],
  frame: frameOf('hi'),
  attempt: 1,
}

describe('broadcastJobs', () => {
  it('writes one tagged shard job per partition, base first', () => {
    expect(broadcastJobs('big', 2, frameOf('hi'))).toStrictEqual([job(-1), job(0), job(1)])
  })
})

describe('parseQueuedJob', () => {
  it('reads back what packJobs wrote', () => {
    expect(parseQueuedJob(JSON.stringify(job(3)))).toStrictEqual(job(3))
    expect(parseQueuedJob(JSON.stringify(retry))).toStrictEqual(retry)
  })

  it('tags a job queued before jobs had a kind by its targets', () => {
    expect(parseQueuedJob(JSON.stringify(untagged(job(3))))).toStrictEqual(job(3))
    expect(parseQueuedJob(JSON.stringify(untagged(retry)))).toStrictEqual(retry)
  })

  it('goes by the kind of a tagged job, not by its targets', () => {
    expect(parseQueuedJob(JSON.stringify({ ...job(3), connectionIds: ['a='] }))).toStrictEqual(job(3))
  })

  it('reads the base partition (shard -1) and an endpoint', () => {
    expect(parseQueuedJob(JSON.stringify(job(-1)))).toEqual(job(-1))
    const endpoint = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod'
    expect(parseQueuedJob(JSON.stringify({ ...job(0), endpoint }))).toEqual({ ...job(0), endpoint })
  })

  it.each([
    ['not JSON', '{'],
    ['another version', JSON.stringify({ ...job(0), v: 2 })],
    ['no targets', JSON.stringify({ v: 1, roomName: 'big', frame: frameOf('x'), attempt: 0 })],
    ['no kind and both targets', JSON.stringify({ ...untagged(job(0)), connectionIds: ['a='] })],
    ['another kind', JSON.stringify({ ...job(0), kind: 'post' })],
    ['a shard kind without a shard', JSON.stringify({ ...retry, kind: 'shard' })],
    ['a retry kind without targets', JSON.stringify({ ...job(0), kind: 'retry' })],
    ['an untagged job that is no fan-out job', JSON.stringify({ ...untagged(job(0)), shard: 'x' })],
    ['a shard below -1', JSON.stringify(job(-2))],
    ['a fractional shard', JSON.stringify(job(1.5))],
    ['an endpoint that is no URL', JSON.stringify({ ...job(0), endpoint: 'abc123/prod' })],
    ['an endpoint that is no http(s) URL', JSON.stringify({ ...job(0), endpoint: 'ftp://x/prod' })],
    ['an endpoint that is no string', JSON.stringify({ ...job(0), endpoint: 7 })],
    ['no frame', JSON.stringify({ ...job(0), frame: null })],
    ['null', 'null'],
  ])('refuses %s with queue.badJob', (_, body) => {
    const error = (() => {
      try {
        parseQueuedJob(body)
      } catch (e) {
        return e
      }
    })()
    expect(isChatDbError(error, 'queue.badJob')).toBe(true)
  })
})

describe('parseQueuedJob of a roomStats job', () => {
  const stats: RoomStatsJob = { v: 1, kind: 'roomStats', roomName: 'big', shards: 4, intervalMs: 30_000 }

  it('reads a trailing roomStats job', () => {
    expect(parseQueuedJob(JSON.stringify(stats))).toStrictEqual(stats)
    expect(
      packJobs([stats])
        .flat()
        .map((m) => parseQueuedJob(m.body)),
    ).toStrictEqual([stats])
  })

  it.each([
    ['no shards', { ...stats, shards: 0 }],
    ['no interval', { ...stats, intervalMs: 0 }],
    ['another version', { ...stats, v: 2 }],
    ['an endpoint that is no URL', { ...stats, endpoint: 'abc' }],
    ['no kind', { ...stats, kind: undefined }],
  ])('refuses a roomStats job with %s (queue.badJob)', (_, body) => {
    const error = (() => {
      try {
        parseQueuedJob(JSON.stringify(body))
      } catch (e) {
        return e
      }
    })()
    expect(isChatDbError(error, 'queue.badJob')).toBe(true)
  })
})
