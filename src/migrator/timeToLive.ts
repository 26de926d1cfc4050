import { UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { TimeToLiveOutcome } from './types.js'

/**
 * Enables or disables TTL on `attributeName`. DynamoDB answers a no-op change with a
 * ValidationException ("already enabled/disabled"): that is `unchanged`. Endpoints without the
 * operation (dynalite answers UnknownOperationException) give `unsupported`, so a migration
 * can say so plainly and carry on with its data.
 */
export async function setTimeToLive(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  attributeName: string,
  enabled: boolean,
): Promise<TimeToLiveOutcome> {
  try {
    // The document client passes low-level commands through unchanged.
    await documentClient.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: attributeName, Enabled: enabled },
      }),
    )
    return 'changed'
  } catch (error) {
    if (!(error instanceof Error)) throw error
    if (error.name === 'ValidationException' && /already (enabled|disabled)/i.test(error.message))
      return 'unchanged'
    if (isUnsupportedOperation(error)) return 'unsupported'
    throw error
  }
}

function isUnsupportedOperation(error: Error): boolean {
  // dynalite: `UnknownOperationException` ("UnknownError"), HTTP 400.
  return error.name === 'UnknownOperationException' || /unknown operation/i.test(error.message)
}
