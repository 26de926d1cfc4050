const DAY_SECONDS = 24 * 60 * 60

/**
 * When a message of `timeMs` (epoch ms) expires under a retention of `days`: epoch seconds, as
 * DynamoDB's TTL reads the `expiresAt` attribute. Used for new messages by the repository and for
 * old ones by the message-retention migration, so both agree.
 */
export function expiryOf(timeMs: number, days: number): number {
  return Math.floor(timeMs / 1000) + Math.round(days * DAY_SECONDS)
}
