// The smallest honest Lambda for the chat's hottest route, written against the raw SDK: the
// baseline the bundled chatdb router is compared with for size and cold import time.
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda'

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}))
// DEFAULT_TABLE_NAME's value, written out: importing it from src/table.js would bundle
// dynamodb-toolbox into the baseline and blur the comparison it exists for.
const TableName = process.env.CHATDB_TABLE ?? 'chat'

export async function handler(event: APIGatewayProxyWebsocketEventV2) {
  const { connectionId, domainName, stage } = event.requestContext
  const { roomName, message } = JSON.parse(event.body ?? '{}') as { roomName: string; message: string }
  const { Items = [] } = await documentClient.send(
    new QueryCommand({
      TableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `Subscription|${roomName}` },
      ConsistentRead: true,
    }),
  )
  const me = Items.find((i) => i.data === connectionId)
  if (!me) return { statusCode: 400 }
  const time = Date.now()
  await documentClient.send(
    new PutCommand({
      TableName,
      Item: {
        pk: `Message|${roomName}`,
        sk: `${roomName}|${new Date(time).toISOString()}|${event.requestContext.requestId}`,
        data: me.userName,
        message,
        time,
      },
    }),
  )
  const management = new ApiGatewayManagementApiClient({ endpoint: `https://${domainName}/${stage}` })
  const Data = JSON.stringify({
    type: 'newMessage',
    roomName,
    message: { id: event.requestContext.requestId, userName: me.userName, message, time },
  })
  await Promise.all(
    Items.map((i) => management.send(new PostToConnectionCommand({ ConnectionId: i.data, Data }))),
  )
  return { statusCode: 200 }
}
