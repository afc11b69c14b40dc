import { Context, Duration } from "effect"

/** How often an open SSE stream sends a keep-alive comment (default 15 s), so proxies keep it open. */
export const SsePingInterval = Context.Reference<Duration.Duration>("@mission-control/core/http/SsePingInterval", {
  defaultValue: () => Duration.seconds(15)
})
