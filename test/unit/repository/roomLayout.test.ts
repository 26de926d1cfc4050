import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { describe, expect, it } from 'vitest'
import { BASE_SUBSCRIPTION_SHARD, roomStateKey } from '../../../src/keys.js'
import {
  createLayoutMemory,
  layoutOf,
  partitionsOf,
  SMALL_LAYOUT,
} from '../../../src/repository/roomLayout.js'

/** A document client that answers every GetItem with `item` and keeps each request's input. */
function guardClient(item: Record<string, unknown> | undefined) {
  const inputs: Record<string, unknown>[] = []
  const documentClient = {
    send: async (command: { input: Record<string, unknown> }) => {
      inputs.push(command.input)
      return { Item: item }
    },
  } as unknown as DynamoDBDocumentClient
  return { documentClient, inputs }
}

describe('roomLayout', () => {
  describe('layoutOf', () => {
    it('reads a guard without shards, and no guard, as small; a guard with shards as large', () => {
      expect(layoutOf(undefined)).toStrictEqual({ kind: 'small' })
      expect(layoutOf({})).toStrictEqual({ kind: 'small' })
      expect(layoutOf({ shards: 4 })).toStrictEqual({ kind: 'large', shards: 4 })
      expect(SMALL_LAYOUT).toStrictEqual({ kind: 'small' })
    })
  })

  describe('partitionsOf', () => {
    it('lists the base partition, then every shard', () => {
      expect(partitionsOf(1)).toStrictEqual([BASE_SUBSCRIPTION_SHARD, 0])
      expect(partitionsOf(3)).toStrictEqual([BASE_SUBSCRIPTION_SHARD, 0, 1, 2])
    })
  })

  describe('createLayoutMemory', () => {
    it('knows no room before it has met it large, and remembers only large layouts', () => {
      const { documentClient, inputs } = guardClient(undefined)
      const layouts = createLayoutMemory({ documentClient, tableName: 'chat' })
      expect(layouts.remembered('lobby')).toBeUndefined()
      expect(layouts.remember('lobby', { kind: 'small' })).toStrictEqual({ kind: 'small' })
      expect(layouts.remembered('lobby')).toBeUndefined()
      expect(layouts.remember('lobby', { kind: 'large', shards: 8 })).toStrictEqual({
        kind: 'large',
        shards: 8,
      })
      expect(layouts.remembered('lobby')).toStrictEqual({ kind: 'large', shards: 8 })
      // Large for good: the first layout remembered stays.
      layouts.remember('lobby', { kind: 'large', shards: 16 })
      expect(layouts.remembered('lobby')).toStrictEqual({ kind: 'large', shards: 8 })
      expect(inputs).toStrictEqual([])
    })

    it('reads an unknown room from its guard (one consistent GetItem), then remembers it if large', async () => {
      const large = guardClient({ ...roomStateKey('lobby'), shards: 4 })
      const layouts = createLayoutMemory({ documentClient: large.documentClient, tableName: 'chat' })
      expect(await layouts.read('lobby')).toStrictEqual({ kind: 'large', shards: 4 })
      expect(await layouts.read('lobby')).toStrictEqual({ kind: 'large', shards: 4 })
      expect(large.inputs).toStrictEqual([
        { TableName: 'chat', Key: roomStateKey('lobby'), ConsistentRead: true },
      ])

      const small = guardClient({ ...roomStateKey('general') })
      const smallLayouts = createLayoutMemory({ documentClient: small.documentClient, tableName: 'chat' })
      expect(await smallLayouts.read('general')).toStrictEqual({ kind: 'small' })
      expect(await smallLayouts.read('general')).toStrictEqual({ kind: 'small' })
      // A small room may be marked large at any time: it is read again each time.
      expect(small.inputs).toHaveLength(2)
    })

    it('forgets the oldest room first when it holds 10,000', () => {
      const { documentClient } = guardClient(undefined)
      const layouts = createLayoutMemory({ documentClient, tableName: 'chat' })
      for (let i = 0; i < 10_000; i++) layouts.remember(`r${i}`, { kind: 'large', shards: 2 })
      expect(layouts.remembered('r0')).toStrictEqual({ kind: 'large', shards: 2 })
      layouts.remember('r10000', { kind: 'large', shards: 2 })
      expect(layouts.remembered('r0')).toBeUndefined()
      expect(layouts.remembered('r1')).toStrictEqual({ kind: 'large', shards: 2 })
      expect(layouts.remembered('r10000')).toStrictEqual({ kind: 'large', shards: 2 })
    })
  })
})
