/**
 * Bundles `entry` (default: the Lambda router) with the Lambda build's esbuild settings, and
 * the modules it loads on first use (the SQS adapter) as bundles of their own beside it.
 */
export function buildLambda(options?: { entry?: string; outfile?: string }): Promise<{
  outfile: string
  /** The entry's bundle: what a cold start reads. */
  bytes: number
  /** The bundles it loads on first use. */
  lazyBytes: number
}>
