import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs'
import { ChatDbError } from '../errors.js'
import { chunk } from '../util/concurrency.js'
import { isNetworkFailure } from '../util/networkFailure.js'
import { checkBatch, checkMaxMessages } from './batchLimits.js'
import {
  MAX_QUEUE_BATCH,
  type OutgoingMessage,
  type QueuePort,
  type ReceivedMessage,
  type ReceiveOptions,
  type SendBatchResult,
} from './types.js'

export interface SqsQueueOptions {
  client: Pick<SQSClient, 'send'>
  queueUrl: string
}

/** SQS takes whole seconds for visibility (0–43,200) and long polls (0–20). */
const seconds = (ms: number, max: number) => Math.min(max, Math.max(0, Math.ceil(ms / 1000)))

/**
 * The queue port on Amazon SQS (a standard queue). The queue's own settings — visibility
 * timeout, redrive policy (dead-letter queue and `maxReceiveCount`) — live with the queue
 * (deploy/template.yaml), not here.
 *
 * @example
 * const queue = createSqsQueue({ client: new SQSClient({}), queueUrl: process.env.CHATDB_FANOUT_QUEUE_URL })
 */
export function createSqsQueue({ client, queueUrl }: SqsQueueOptions): QueuePort {
  const name = queueUrl.slice(queueUrl.lastIndexOf('/') + 1)

  /** One call to SQS, its failures as codes a caller can branch on. */
  async function call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send()
    } catch (error) {
      const { name: errorName } = (error ?? {}) as { name?: string }
      if (isNetworkFailure(error)) {
        throw new ChatDbError('queue.unavailable', `queue "${name}" did not answer ${operation}`, {
          cause: error,
        })
      }
      // A visibility change of a message whose delivery is over (deleted, redelivered, timed out).
      if (errorName === 'MessageNotInflight' || errorName === 'ReceiptHandleIsInvalid') {
        throw new ChatDbError(
          'queue.notInFlight',
          `${operation} on queue "${name}": the message is not in flight`,
          {
            cause: error,
          },
        )
      }
      if (errorName === 'QueueDoesNotExist' || errorName === 'AWS.SimpleQueueService.NonExistentQueue') {
        throw new ChatDbError('queue.notFound', `queue "${name}" does not exist (${queueUrl})`, {
          cause: error,
        })
      }
      throw new ChatDbError(
        'queue.failed',
        `${operation} on queue "${name}" failed: ${errorName ?? 'error'}`,
        {
          cause: error,
        },
      )
    }
  }

  return {
    name,

    async sendBatch(messages: readonly OutgoingMessage[]): Promise<SendBatchResult> {
      checkBatch(name, messages)
      const { Failed = [] } = await call('SendMessageBatch', () =>
        client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map(({ id, body, delayMs }) => ({
              Id: id,
              MessageBody: body,
              ...(delayMs ? { DelaySeconds: seconds(delayMs, 900) } : {}),
            })),
          }),
        ),
      )
      return {
        failed: Failed.map((entry) => ({
          id: entry.Id ?? '',
          code: entry.Code ?? 'unknown',
          message: entry.Message ?? '',
        })),
      }
    },

    async receive({
      maxMessages = MAX_QUEUE_BATCH,
      waitTimeMs = 0,
      visibilityTimeoutMs,
    }: ReceiveOptions = {}) {
      const max = checkMaxMessages(maxMessages)
      const { Messages = [] } = await call('ReceiveMessage', () =>
        client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: max,
            WaitTimeSeconds: seconds(waitTimeMs, 20),
            ...(visibilityTimeoutMs === undefined
              ? {}
              : { VisibilityTimeout: seconds(visibilityTimeoutMs, 43_200) }),
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
        ),
      )
      return Messages.map(
        (message): ReceivedMessage => ({
          messageId: message.MessageId ?? '',
          receiptHandle: message.ReceiptHandle ?? '',
          body: message.Body ?? '',
          receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
          sentAt: Number(message.Attributes?.SentTimestamp ?? 0),
        }),
      )
    },

    async deleteBatch(receiptHandles: readonly string[]) {
      for (const handles of chunk(receiptHandles, MAX_QUEUE_BATCH)) {
        const { Failed = [] } = await call('DeleteMessageBatch', () =>
          client.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: handles.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle })),
            }),
          ),
        )
        // A message not deleted is delivered again: at least once, never lost. Say so loudly.
        if (Failed.length > 0) {
          throw new ChatDbError(
            'queue.failed',
            `queue "${name}" did not delete ${Failed.length} message(s): ${Failed.map((f) => f.Code).join(', ')}`,
          )
        }
      }
    },

    async changeVisibility(receiptHandle: string, timeoutMs: number) {
      await call('ChangeMessageVisibility', () =>
        client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: seconds(timeoutMs, 43_200),
          }),
        ),
      )
    },
  }
}
