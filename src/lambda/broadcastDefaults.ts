// Its own module, free of the AWS SDK, so the CLI's option defaults can name it cheaply.

/**
 * Posts in flight at once per broadcast unless `concurrency` says otherwise: enough to keep one
 * vCPU busy (~0.35 ms of client CPU per post, ~2,800 posts/s) while `@connections` answers in up
 * to ~45 ms (128 ÷ 45 ms); a smaller function is CPU bound whatever the number, and its extra
 * posts only wait in the function (docs/operations.md, "Broadcast throughput"). The old 16
 * allowed about 530 posts/s at 30 ms.
 */
export const DEFAULT_POST_CONCURRENCY = 128
