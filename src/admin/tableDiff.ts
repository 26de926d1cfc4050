import type { CreateTableCommandInput, TableDescription } from '@aws-sdk/client-dynamodb'

type KeyElement = { AttributeName?: string; KeyType?: string }

/**
 * What an existing table lacks or has differently from the definition it should have been
 * created from: key schema, key attribute types, each GSI's keys and projection, billing mode.
 * Pure, so `create-table` can report differences without touching anything.
 *
 * @example
 * tableDiff(tableDefinition('chat'), (await client.send(new DescribeTableCommand({ TableName: 'chat' }))).Table!)
 * // ['GSI byData: missing']
 */
export function tableDiff(expected: CreateTableCommandInput, actual: TableDescription): string[] {
  const differences: string[] = []
  const compare = (what: string, want: string, got: string) => {
    if (want !== got) differences.push(`${what}: expected ${want}, found ${got || 'nothing'}`)
  }
  compare('key schema', keySchemaText(expected.KeySchema), keySchemaText(actual.KeySchema))

  const actualTypes = new Map(
    (actual.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]),
  )
  for (const { AttributeName, AttributeType } of expected.AttributeDefinitions ?? []) {
    compare(`attribute ${AttributeName} type`, AttributeType ?? '', actualTypes.get(AttributeName) ?? '')
  }

  const actualIndexes = new Map((actual.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i]))
  for (const index of expected.GlobalSecondaryIndexes ?? []) {
    const found = actualIndexes.get(index.IndexName)
    actualIndexes.delete(index.IndexName)
    if (!found) {
      differences.push(`GSI ${index.IndexName}: missing`)
      continue
    }
    compare(
      `GSI ${index.IndexName} key schema`,
      keySchemaText(index.KeySchema),
      keySchemaText(found.KeySchema),
    )
    compare(
      `GSI ${index.IndexName} projection`,
      index.Projection?.ProjectionType ?? '',
      found.Projection?.ProjectionType ?? '',
    )
  }
  for (const name of actualIndexes.keys()) differences.push(`GSI ${name}: not in the definition`)

  if (expected.BillingMode) compare('billing mode', expected.BillingMode, billingModeOf(actual))
  return differences
}

/**
 * A table's billing mode. DescribeTable omits `BillingModeSummary` for tables created as
 * PROVISIONED (and dynalite always omits it), so capacity units decide then: on-demand tables
 * report 0.
 */
export function billingModeOf(table: TableDescription): string {
  return (
    table.BillingModeSummary?.BillingMode ??
    (table.ProvisionedThroughput?.ReadCapacityUnits ? 'PROVISIONED' : 'PAY_PER_REQUEST')
  )
}

/** `pk HASH, sk RANGE`: a key schema as one comparable line. */
export function keySchemaText(schema: KeyElement[] | undefined): string {
  return (schema ?? []).map((k) => `${k.AttributeName} ${k.KeyType}`).join(', ')
}
