import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb'
import { scanAll } from './scan.js'

/**
 * Gives a table a room under a name chatdb refuses, as an import of an edited backup would: every
 * item of room `from` (listing record, guard, subscriptions, messages) is copied with `from`
 * replaced by `to` in its keys and attributes. `from` must not occur in other items' text.
 */
export async function copyRoomUnderName(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  from: string,
  to: string,
): Promise<number> {
  let copied = 0
  for (const item of await scanAll(documentClient, tableName)) {
    const text = JSON.stringify(item)
    if (!text.includes(from)) continue
    const Item = JSON.parse(text.replaceAll(from, to)) as Record<string, unknown>
    await documentClient.send(new PutCommand({ TableName: tableName, Item }))
    copied++
  }
  return copied
}
