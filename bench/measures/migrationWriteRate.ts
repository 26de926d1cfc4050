import { migration as messageRetention } from '../../migrations/002_message-retention.js'
import { createMigrator } from '../../src/migrator/migrator.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import type { BenchEnvironment } from '../env.js'
import type { Section } from '../report.js'

/** A table of `count` messages without an expiresAt: migration 002 rewrites every one. */
async function tableOfMessages(env: BenchEnvironment, count: number): Promise<string> {
  const tableName = await env.createTable('migrate-rate')
  const repository = createChatRepository({ documentClient: env.documentClient, tableName })
  await repository.subscribe({ roomName: 'general', connectionId: 'AAAAAAAAAAAAAAA=', userName: 'ada' })
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, j) =>
        repository.postMessage({
          roomName: 'general',
          connectionId: 'AAAAAAAAAAAAAAA=',
          message: `message ${i + j}`,
        }),
      ),
    )
  }
  return tableName
}

/**
 * `chatdb migrate up --max-wcu`: migration 002 over `count` messages (~300-byte items: 1 WCU on
 * the table and 1 on the GSI each) with no limit and at each limit, in wall-clock time on this
 * machine: the WCU/s the writes reached against the limit (the bucket's one second of burst
 * included), and the extrapolation to 100 M items.
 */
export async function migrationWriteRate(
  env: BenchEnvironment,
  count: number,
  limits: readonly (number | undefined)[],
): Promise<Section> {
  const rows: string[][] = []
  const checks: Section['checks'] = []
  for (const maxWcu of limits) {
    const tableName = await tableOfMessages(env, count)
    const migrator = createMigrator({
      documentClient: env.documentClient,
      tableName,
      migrations: [messageRetention],
      ...(maxWcu === undefined ? {} : { maxWcu }),
    })
    const started = performance.now()
    const [result] = (await migrator.up()).results
    const seconds = (performance.now() - started) / 1000
    const rate = result?.writeRate
    const wcuPerSecond = (rate?.consumedWcu ?? 0) / seconds
    const perItem = (rate?.consumedWcu ?? 0) / count
    // 100 M items at this limit (or at the rate reached without one).
    const hours = (100e6 * perItem) / (maxWcu ?? wcuPerSecond) / 3600
    rows.push([
      maxWcu === undefined ? 'none' : maxWcu.toLocaleString('en-US'),
      (rate?.consumedWcu ?? 0).toLocaleString('en-US'),
      seconds.toFixed(1),
      wcuPerSecond.toFixed(0),
      ((rate?.limiterWaitMs ?? 0) / 1000).toFixed(1),
      hours.toFixed(1),
    ])
    if (maxWcu !== undefined) {
      // Over a run of T seconds the bucket allows maxWcu × (T + 1): the +1 is its burst.
      checks.push({
        name: `migration at --max-wcu ${maxWcu}: WCU/s ÷ (limit × (1 + 1/T))`,
        value: Number((wcuPerSecond / (maxWcu * (1 + 1 / seconds))).toFixed(3)),
        target: 1,
        better: 'lower',
      })
    }
  }
  return {
    title: 'Migration write rate (--max-wcu)',
    description: `Migration 002 (message-retention) rewriting ${count.toLocaleString('en-US')} messages (items under 1 KB: 1 WCU on the table + 1 on the GSI each), 4 scan segments, on in-process dynalite; wall-clock time. "100 M items" extrapolates this migration's WCU per item to 100,000,000 items at the limit (or at the unlimited rate reached here, which says more about this machine than about DynamoDB).`,
    header: [
      '--max-wcu',
      'WCU written',
      'seconds',
      'WCU/s reached',
      'limiter held back (s)',
      '100 M items (h)',
    ],
    rows,
    checks,
  }
}
