import { describe, expect, it } from 'vitest'
import { conditionHeld, ifConditionHeld } from '../../../src/repository/conditionalCheck.js'

function failure(name: string): Error {
  const error = new Error(`${name}: refused`)
  error.name = name
  return error
}

describe('conditionHeld', () => {
  it('answers true when the write lands and false when its condition fails', async () => {
    await expect(conditionHeld(Promise.resolve({}))).resolves.toBe(true)
    await expect(conditionHeld(Promise.reject(failure('ConditionalCheckFailedException')))).resolves.toBe(
      false,
    )
  })

  it('throws any other error of the write', async () => {
    const throttled = failure('ProvisionedThroughputExceededException')
    await expect(conditionHeld(Promise.reject(throttled))).rejects.toBe(throttled)
    await expect(conditionHeld(Promise.reject('not an error'))).rejects.toBe('not an error')
  })
})

describe('ifConditionHeld', () => {
  it("answers the write's output when it lands, held: false when its condition fails", async () => {
    await expect(ifConditionHeld(Promise.resolve({ Attributes: { n: 3 } }))).resolves.toStrictEqual({
      held: true,
      output: { Attributes: { n: 3 } },
    })
    await expect(
      ifConditionHeld(Promise.reject(failure('ConditionalCheckFailedException'))),
    ).resolves.toStrictEqual({
      held: false,
    })
    const gone = failure('ResourceNotFoundException')
    await expect(ifConditionHeld(Promise.reject(gone))).rejects.toBe(gone)
  })
})
