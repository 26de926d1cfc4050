import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'

/**
 * DescribeTable, or undefined when the table does not exist.
 *
 * @example
 * const table = await findTable(documentClient, 'chat')
 */
export async function findTable(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
): Promise<TableDescription | undefined> {
  try {
    return (await documentClient.send(new DescribeTableCommand({ TableName: tableName }))).Table
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined
    throw error
  }
}

export interface TimeToLiveStatus {
  status: string
  attribute: string | undefined
}

/**
 * DescribeTimeToLive (TTL is configured outside chatdb: dynalite cannot set it).
 *
 * @example
 * const { status, attribute } = await describeTimeToLive(documentClient, 'chat')
 */
export async function describeTimeToLive(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
): Promise<TimeToLiveStatus> {
  const { TimeToLiveDescription: ttl } = await documentClient.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  )
  return { status: ttl?.TimeToLiveStatus ?? 'DISABLED', attribute: ttl?.AttributeName }
}
