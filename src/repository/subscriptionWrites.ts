import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import { type ChatEntities, DEPARTURE_ENTITY } from '../entities/index.js'
import { conditionHeld, ifConditionHeld } from './conditionalCheck.js'
import { ENTITY_ATTRIBUTE } from './savedItems.js'

export type ItemKey = { pk: string; sk: string }

/** A subscription or departure item as the table holds it. */
export type SavedItem = Record<string, unknown>

/**
 * The writes of one subscription item, at a key given: a small room's (`Subscription|<room>`),
 * a large room's base partition or one of its shards. Joining writes it, leaving turns it into a
 * departure, and a subscribe that wrote at the wrong key (the room became large meanwhile) takes
 * its own write back.
 *
 * @example
 * const writes = createSubscriptionWrites(context)
 * await writes.leaveAt(subscriptionKey('general', 'abc='), 'attempt-1')
 */
export function createSubscriptionWrites({
  documentClient,
  tableName,
  entities,
  now,
}: {
  documentClient: DynamoDBDocumentClient
  tableName: string
  entities: ChatEntities
  now: () => number
}) {
  const { Subscription } = entities
  return {
    /**
     * Writes a subscription at `key`, over nothing or a departure (the connection left and comes
     * back); false when a subscription is there. Requests: 1 PutItem.
     */
    async putSubscription(
      key: ItemKey,
      item: {
        roomName: string
        connectionId: string
        userName: string
        subscribedAt: number
        attempt: string
      },
    ): Promise<boolean> {
      // The item the Subscription entity formats, at the key given (its partition may be a shard's).
      const { Item: formatted } = Subscription.build(PutItemCommand).item(item).params()
      return conditionHeld(
        documentClient.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...formatted, ...key },
            ConditionExpression: 'attribute_not_exists(#pk) OR #et = :departure',
            ExpressionAttributeNames: { '#pk': 'pk', '#et': ENTITY_ATTRIBUTE },
            ExpressionAttributeValues: { ':departure': DEPARTURE_ENTITY },
          }),
        ),
      )
    },

    /**
     * Turns the subscription at `key` into a departure (same key, `_et: "Departure"`, user name
     * kept) and answers the item that was there; undefined when nothing (or a key-only stranger)
     * was. Requests: 1 UpdateItem.
     */
    async leaveAt(key: ItemKey, attempt: string): Promise<SavedItem | undefined> {
      const left = await ifConditionHeld(
        documentClient.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression:
              'SET #entity = :departure, #attempt = :attempt, #leftAt = :now REMOVE #unfinished',
            // Only a subscription or a departure: never a key-only item for a stranger.
            ConditionExpression: 'attribute_exists(#userName)',
            ExpressionAttributeNames: {
              '#entity': ENTITY_ATTRIBUTE,
              '#attempt': 'attempt',
              '#leftAt': 'leftAt',
              '#unfinished': 'unfinished',
              '#userName': 'userName',
            },
            ExpressionAttributeValues: { ':departure': DEPARTURE_ENTITY, ':attempt': attempt, ':now': now() },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      )
      return left.held ? left.output.Attributes : undefined
    },

    /** Deletes the subscription this call wrote at `key` (its `attempt`); false when it is not there. Requests: 1 DeleteItem. */
    async deleteOwnWrite(key: ItemKey, attempt: string): Promise<boolean> {
      return conditionHeld(
        documentClient.send(
          new DeleteCommand({
            TableName: tableName,
            Key: key,
            ConditionExpression: '#attempt = :attempt',
            ExpressionAttributeNames: { '#attempt': 'attempt' },
            ExpressionAttributeValues: { ':attempt': attempt },
          }),
        ),
      )
    },

    /** Whether an item a write answered is a subscription (not a departure, not nothing). */
    isSubscription(item: SavedItem | undefined): boolean {
      return item?.[ENTITY_ATTRIBUTE] === Subscription.entityName
    },
  }
}

export type SubscriptionWrites = ReturnType<typeof createSubscriptionWrites>
