import { Context, Duration } from "effect"

/** How retries of transient gateway errors back off, and when they give up. */
export interface RetryPolicy {
  readonly baseDelay: Duration.Duration
  readonly maxDelay: Duration.Duration
  readonly deadline: Duration.Duration
  /** Names the operation in the timeout message: `Gateway unreachable after … (<label> timeout)`. */
  readonly label: string
}

/** Tunables of the core programs. Provide a different value with `Effect.provideService(Settings, …)`. */
export class Settings extends Context.Reference<Settings>()("@mission-control/core/Settings", {
  defaultValue: () => ({
    /** Base URL of the HTTP API as agents reach it; rendered into workspace files. */
    baseUrl: "REPLACE_WITH_BASE_URL" as string,
    /** Retries of provisioning, update and delete started by an API call. */
    operationRetry: {
      baseDelay: Duration.millis(500),
      maxDelay: Duration.seconds(5),
      deadline: Duration.seconds(45),
      label: "gateway coordination"
    } as RetryPolicy,
    /** Retries of each step of a template sync. */
    syncRetry: {
      baseDelay: Duration.millis(750),
      maxDelay: Duration.seconds(30),
      deadline: Duration.minutes(10),
      label: "template sync"
    } as RetryPolicy,
    /** How long a just-created gateway agent may take to become visible (the gateway reloads its config). */
    visibilityWait: {
      baseDelay: Duration.millis(100),
      maxDelay: Duration.seconds(1),
      deadline: Duration.seconds(15),
      label: "agent visibility"
    } as RetryPolicy,
    /** Agents synced at once by template sync. */
    syncConcurrency: 8,
    /** Workspace files of one agent compared and written at once. */
    workspaceFileConcurrency: 4,
    /** Provisioning requested longer ago than this and never completed is taken as abandoned. */
    staleProvisionAfter: Duration.minutes(5)
  })
}) {}
