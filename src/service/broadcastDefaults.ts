// Its own module, free of the AWS SDK, so the CLI's option defaults can name it cheaply.

/**
 * Posts in flight at once per broadcast unless `concurrency` says otherwise. Against an
 * `@connections` API that answers in ~30 ms this allows about 2,100 posts/s, which a function of
 * 1,024 MB or more can follow at ~0.35 ms of client CPU per post (docs/operations.md, "Broadcast
 * throughput"); the old 16 allowed about 530.
 */
export const DEFAULT_POST_CONCURRENCY = 64
