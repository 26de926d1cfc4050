/**
 * Structured log sink of the service, the fan-out worker and the Lambda adapters. Values are
 * data, never format strings: they are written as JSON.
 */
export interface ServiceLogger {
  error(event: string, details: Record<string, unknown>): void
  warn(event: string, details: Record<string, unknown>): void
}

/** An error as plain data: name, code and message (and the cause's), never interpreted. */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: String(error) }
  const described: Record<string, unknown> = { name: error.name, message: error.message }
  const { code, $metadata } = error as { code?: unknown; $metadata?: { httpStatusCode?: number } }
  if (code !== undefined) described.code = code
  if ($metadata?.httpStatusCode !== undefined) described.httpStatusCode = $metadata.httpStatusCode
  if (error.cause !== undefined) described.cause = describeError(error.cause)
  return described
}

/**
 * The default logger: one JSON line per event on stderr (CloudWatch in Lambda). User text
 * (room names, messages) only ever appears inside JSON strings, so it cannot forge log lines.
 *
 * @example
 * const logger = createJsonLogger((line) => lines.push(line))
 * logger.error('route.failed', { route: 'subscribe', error: describeError(error) })
 */
export function createJsonLogger(
  write: (line: string) => void = (line) => console.error(line),
): ServiceLogger {
  const log = (level: string, event: string, details: Record<string, unknown>) =>
    write(JSON.stringify({ level, event, ...details }))
  return {
    error: (event, details) => log('error', event, details),
    warn: (event, details) => log('warn', event, details),
  }
}
