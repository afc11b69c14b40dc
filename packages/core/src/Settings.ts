import { Context, Duration } from "effect"

/** How retries of transient gateway errors back off, and when they give up. */
export interface RetryPolicy {
  readonly baseDelay: Duration.Duration
  readonly maxDelay: Duration.Duration
  readonly deadline: Duration.Duration
  /** Names the operation in the timeout message: `Gateway unreachable after … (<label> timeout)`. */
  readonly label: string
}

/** Tunables of the core programs. */
export interface Settings {
  /** Base URL of the HTTP API as agents reach it; rendered into workspace files. */
  readonly baseUrl: string
  /** Retries of provisioning, update and delete started by an API call. */
  readonly operationRetry: RetryPolicy
  /** Retries of each step of a template sync. */
  readonly syncRetry: RetryPolicy
  /** How long a just-created gateway agent may take to become visible (the gateway reloads its config). */
  readonly visibilityWait: RetryPolicy
  /** Agents synced at once by template sync. */
  readonly syncConcurrency: number
  /** Workspace files of one agent compared and written at once. */
  readonly workspaceFileConcurrency: number
  /** Provisioning requested longer ago than this and never completed is taken as abandoned. */
  readonly staleProvisionAfter: Duration.Duration
  /** The oldest gateway version accepted on gateway create and update: CalVer `YYYY.M.D` or `YYYY.M.D-REV`. */
  readonly gatewayMinVersion: string
  /** How long a woken agent has to check in (a heartbeat or any authenticated call) before it is woken again. */
  readonly checkinDeadline: Duration.Duration
  /** Wakeups sent without a check-in, the provisioning's own included, before the agent is marked `offline`. */
  readonly maxWakeAttempts: number
  /** How long a rotated-out token still authenticates, unless the new token is used first. */
  readonly tokenGracePeriod: Duration.Duration
  /** Durable lifecycle (`DurableLifecycle`): the retries of one attempt of a provisioning workflow. */
  readonly lifecycleAttempt: RetryPolicy
  /** Durable lifecycle: the longest wait between two attempts while the gateway stays unreachable. */
  readonly lifecycleRetryInterval: Duration.Duration
  /** Durable lifecycle: how long a request waits for its workflow before answering with the work pending. */
  readonly lifecycleAnswerBudget: Duration.Duration
  /**
   * Durable lifecycle: provisioning and deletion attempts that run at once on one gateway in this process; the others
   * wait for a turn before their attempt's deadline starts.
   */
  readonly lifecycleConcurrencyPerGateway: number
}

/** The settings in force; the defaults unless a different value is provided with `Effect.provideService(Settings, …)`. */
export const Settings = Context.Reference<Settings>("@mission-control/core/Settings", {
  defaultValue: (): Settings => ({
    baseUrl: "REPLACE_WITH_BASE_URL",
    operationRetry: {
      baseDelay: Duration.millis(500),
      maxDelay: Duration.seconds(5),
      deadline: Duration.seconds(45),
      label: "gateway coordination"
    },
    syncRetry: {
      baseDelay: Duration.millis(750),
      maxDelay: Duration.seconds(30),
      deadline: Duration.minutes(10),
      label: "template sync"
    },
    visibilityWait: {
      baseDelay: Duration.millis(100),
      maxDelay: Duration.seconds(1),
      deadline: Duration.seconds(15),
      label: "agent visibility"
    },
    syncConcurrency: 8,
    workspaceFileConcurrency: 4,
    staleProvisionAfter: Duration.minutes(5),
    gatewayMinVersion: "2026.02.9",
    checkinDeadline: Duration.seconds(30),
    maxWakeAttempts: 3,
    tokenGracePeriod: Duration.minutes(10),
    lifecycleAttempt: {
      baseDelay: Duration.millis(250),
      maxDelay: Duration.seconds(2),
      deadline: Duration.seconds(5),
      label: "gateway coordination"
    },
    lifecycleRetryInterval: Duration.seconds(5),
    lifecycleAnswerBudget: Duration.seconds(15),
    lifecycleConcurrencyPerGateway: 4
  })
})
