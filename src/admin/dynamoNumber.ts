/** DynamoDB keeps at most 38 significant digits of a number. */
export const MAX_SIGNIFICANT_DIGITS = 38
/** Decimal exponent of a number's first significant digit: 1E-130 up to 9.99…E+125. */
export const MIN_EXPONENT = -130
export const MAX_EXPONENT = 125

// The syntax DynamoDB (and dynalite) parse: no leading '+', no spaces, no Infinity/NaN.
const NUMBER = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/

export interface CheckedNumber {
  /** Why DynamoDB would refuse the text; undefined when it takes it. */
  problem?: string
  /** Sign, significant digits and exponent: equal for equal numbers ("1.0" and "1e0"). */
  canonical?: string
  /** Significant digits (what DynamoDB's size of a number depends on). */
  digits: number
}

/**
 * Checks a DynamoDB number the way DynamoDB does: syntax, at most 38 significant digits, and a
 * magnitude from 1E-130 to 9.9999999999999999999999999999999999999E+125 (zero allowed).
 *
 * @example
 * canonicalNumber('1.50').canonical // '+15e-1'
 * canonicalNumber('abc').problem // 'not a number: "abc"'
 */
export function canonicalNumber(text: string): CheckedNumber {
  const match = NUMBER.exec(text)
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = match ?? []
  if (!match || whole.length + fraction.length === 0) {
    return { problem: `not a number: ${JSON.stringify(text)}`, digits: 0 }
  }
  const all = whole + fraction
  const first = all.search(/[1-9]/)
  if (first === -1) return { canonical: '0', digits: 0 }
  const significant = all.slice(first).replace(/0+$/, '')
  // Decimal exponent of the first significant digit, and of the last one (for the canonical form).
  const exponent = whole.length - first - 1 + Number(exponentText)
  if (significant.length > MAX_SIGNIFICANT_DIGITS) {
    return {
      problem: `${text} has ${significant.length} significant digits (DynamoDB keeps at most ${MAX_SIGNIFICANT_DIGITS})`,
      digits: significant.length,
    }
  }
  if (exponent > MAX_EXPONENT || exponent < MIN_EXPONENT) {
    return {
      problem: `${text} is out of DynamoDB's range (magnitude 1E${MIN_EXPONENT} to 9.99…E+${MAX_EXPONENT})`,
      digits: significant.length,
    }
  }
  return {
    canonical: `${sign === '-' ? '-' : '+'}${significant}e${exponent - significant.length + 1}`,
    digits: significant.length,
  }
}
