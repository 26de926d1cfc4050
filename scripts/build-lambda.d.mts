/** Bundles `entry` (default: the Lambda router) with the Lambda build's esbuild settings. */
export function buildLambda(options?: {
  entry?: string
  outfile?: string
}): Promise<{ outfile: string; bytes: number }>
