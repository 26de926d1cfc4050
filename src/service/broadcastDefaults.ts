// Its own module, free of the AWS SDK, so the CLI's option defaults can name it cheaply.

/**
 * Posts in flight at once per broadcast unless `concurrency` says otherwise. Against an
 * `@connections` API that answers in ~30 ms this allows about 2,100 posts/s, a little more than one
 * vCPU's share of client CPU (~0.35 ms per post, see docs/operations.md, "Broadcast throughput").
 */
export const DEFAULT_POST_CONCURRENCY = 64
