/**
 * The SQS event a Lambda function receives from an event source mapping, and the partial
 * batch response it answers with (`ReportBatchItemFailures`). chatdb's own types, so the
 * shipped declarations need no `@types/aws-lambda`; they match its `SQSEvent` and
 * `SQSBatchResponse` in every field chatdb reads or writes.
 */
export interface SqsRecord {
  messageId: string
  receiptHandle: string
  body: string
  attributes: {
    ApproximateReceiveCount: string
    SentTimestamp: string
    SenderId: string
    ApproximateFirstReceiveTimestamp: string
  }
  messageAttributes: Record<string, never>
  md5OfBody: string
  eventSource: 'aws:sqs'
  eventSourceARN: string
  awsRegion: string
}

export interface SqsEvent {
  Records: SqsRecord[]
}

/** Records named here go back to the queue; the others are deleted. */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[]
}
