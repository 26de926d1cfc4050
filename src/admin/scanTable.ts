import { ScanCommand, type ScanCommandInput } from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { type PageKey, pages } from '../repository/pager.js'
import type { RawItem } from './dynamoJson.js'

export type ScanOptions = Omit<ScanCommandInput, 'TableName' | 'ExclusiveStartKey'>

/**
 * Every page of a Scan, as raw DynamoDB JSON items (no unmarshalling, so numbers keep their
 * exact text and nothing is lost on the way to an export file).
 *
 * @example
 * for await (const items of scanPages(documentClient, 'chat')) console.log(items.length)
 */
export async function* scanPages(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  options: ScanOptions = {},
): AsyncGenerator<RawItem[]> {
  const read = (startKey: PageKey | undefined) =>
    documentClient.send(
      new ScanCommand({
        ...options,
        TableName: tableName,
        ExclusiveStartKey: startKey as RawItem | undefined,
      }),
    )
  for await (const page of pages(read)) yield page.items
}

/** Scans the items of one entity (toolbox's entity attribute), projected to `attributes`. */
export async function scanEntity(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  { entityAttribute, entity, attributes }: { entityAttribute: string; entity: string; attributes: string[] },
): Promise<RawItem[]> {
  const names: Record<string, string> = { '#et': entityAttribute }
  attributes.forEach((attribute, i) => {
    names[`#a${i}`] = attribute
  })
  const items: RawItem[] = []
  for await (const page of scanPages(documentClient, tableName, {
    FilterExpression: '#et = :entity',
    ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(', '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: { ':entity': { S: entity } },
  })) {
    items.push(...page)
  }
  return items
}
