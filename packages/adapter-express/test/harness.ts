import { createMissionControlRouter } from "@mission-control/adapter-express"
import type { MissionControlRouter, RouterOptions } from "@mission-control/adapter-express"
import { layerOnTestDatabase, sharedTestDatabase } from "@mission-control/adapter-pg/testing"
import type { MissionControlServices, User } from "@mission-control/core"
import { AgentChanges, AgentTokens, OrganizationRepository, TemplateRenderer } from "@mission-control/core"
import type { UserId } from "@mission-control/core"
import { makeClient, probePaths } from "@mission-control/core/http"
import { Fixtures } from "@mission-control/core/testing"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import type { GatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { Effect, Layer, ManagedRuntime, Option, Redacted, Stream } from "effect"
import type { Result } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"

/** Counts open change-feed subscriptions, to see that a closed stream frees its subscription. */
export const subscriptionCounter = { open: 0 }

const countingChanges = Layer.effect(
  AgentChanges,
  Effect.map(AgentChanges, (changes) => ({
    currentSequence: changes.currentSequence,
    open: (after: number | undefined) =>
      Effect.acquireRelease(
        Effect.sync(() => void subscriptionCounter.open++),
        () => Effect.sync(() => void subscriptionCounter.open--)
      ).pipe(Effect.andThen(changes.open(after)))
  }))
)

type ExpressFactory = () => {
  use: (path: string, router: MissionControlRouter) => unknown
  get: (paths: ReadonlyArray<string>, router: MissionControlRouter) => unknown
  listen: (port: number, host: string) => Server
}

/** A running API on a fresh database (Postgres, else PGlite) and the gateway simulator, with a seeded world. */
export const startApi = async (
  createApp: ExpressFactory,
  extra: Layer.Layer<never> = Layer.empty,
  routerOptions: Pick<RouterOptions<never>, "bodyLimitBytes" | "agentRateLimit"> = {}
) => {
  const simulator: GatewaySimulator = await startGatewaySimulator()
  const database = await sharedTestDatabase()
  const services = layerOnTestDatabase(database).pipe(Layer.orDie)
  const runtime = ManagedRuntime.make(Layer.mergeAll(
    Layer.provideMerge(countingChanges, services),
    AgentTokens.layer,
    TemplateRenderer.layer,
    GatewayRpc.layer(),
    extra
  ) as Layer.Layer<MissionControlServices>)
  const world = await runtime.runPromise(Fixtures.world({
    gateway: { url: simulator.url, token: Redacted.make(simulator.token!), workspaceRoot: "/srv/openclaw" }
  }))
  const tokens = new Map<string, UserId>()
  const tokenFor = (user: User) => {
    const token = `user-${user.id}`
    tokens.set(token, user.id)
    return token
  }
  const authenticateUser = async (req: import("express").Request) => {
    const token = /^Bearer\s+(.+)$/i.exec(req.header("authorization") ?? "")?.[1]
    const userId = token === undefined ? undefined : tokens.get(token)
    if (userId === undefined) return undefined
    return Option.getOrUndefined(
      await runtime.runPromise(Effect.flatMap(OrganizationRepository, (repo) => repo.findUser(userId)))
    )
  }
  const router = createMissionControlRouter({
    runtime,
    authenticateUser,
    pingIntervalSeconds: 1,
    ...routerOptions
  })
  const app = createApp()
  app.get(Object.values(probePaths), router)
  app.use("/api/v1", router)
  const server = app.listen(0, "127.0.0.1")
  await new Promise<void>((resolve) => server.once("listening", () => resolve()))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const base = `${origin}/api/v1`
  /**
   * The typed client of the API, signed in as a user, as an agent (its token in `X-Agent-Token`, or as a bearer
   * token with `bearer`), or as nobody.
   */
  const clientAs = (identity: Identity = {}) => {
    const headers: Record<string, string> = {}
    if (identity.user !== undefined) headers["authorization"] = `Bearer ${tokenFor(identity.user)}`
    if (identity.bearer !== undefined) headers["authorization"] = `Bearer ${identity.bearer}`
    if (identity.agentToken !== undefined) headers["x-agent-token"] = identity.agentToken
    return Effect.runSync(
      makeClient(origin, {
        transformClient: HttpClient.mapRequest(HttpClientRequest.setHeaders(headers))
      }).pipe(Effect.provide(FetchHttpClient.layer))
    )
  }
  const call = async (
    method: string,
    path: string,
    options: {
      readonly user?: User
      readonly agentToken?: string
      readonly body?: unknown
      readonly raw?: string
      readonly headers?: Record<string, string>
      /** The body's content type (default `application/json`); `null` sends none. */
      readonly contentType?: string | null
    } = {}
  ) => {
    const headers: Record<string, string> = { ...options.headers }
    if (options.user !== undefined) headers["authorization"] = `Bearer ${tokenFor(options.user)}`
    if (options.agentToken !== undefined) headers["x-agent-token"] = options.agentToken
    const text = options.raw ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined)
    const contentType = options.contentType === undefined ? "application/json" : options.contentType
    if (text !== undefined && contentType !== null) headers["content-type"] = contentType
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      // Bytes, not a string: for a string fetch would add `text/plain` itself.
      ...(text !== undefined ? { body: new TextEncoder().encode(text) } : {})
    })
    const answer = await response.text()
    let json: any
    try {
      json = JSON.parse(answer)
    } catch {
      json = answer
    }
    return { status: response.status, body: json, headers: response.headers }
  }
  const stop = async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await router.dispose()
    await runtime.dispose()
    await simulator.stop()
  }
  return { base, call, clientAs, database, origin, runtime, simulator, world, stop, tokenFor }
}

/** Who a typed client calls as; `{}` is nobody. */
export interface Identity {
  readonly user?: User
  readonly agentToken?: string
  /** An agent token sent as `Authorization: Bearer`. */
  readonly bearer?: string
}

/** The typed client of the API (as `clientAs` makes it). */
export type ApiClient = ReturnType<Awaited<ReturnType<typeof startApi>>["clientAs"]>

/** Runs one call of the typed client: its decoded answer (a failure rejects). */
export const run = <A, E>(call: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(call)

/** What one call of the typed client answered: its value or the error body it failed with. */
export const outcomeOf = <A, E>(call: Effect.Effect<A, E>): Promise<Result.Result<A, E>> =>
  Effect.runPromise(Effect.result(call))

const describeOutcome = (value: unknown): string =>
  `${(value as { readonly constructor?: { readonly name?: string } } | null)?.constructor?.name ?? typeof value} ${
    JSON.stringify(value)?.slice(0, 300)
  }`

/** The error body a call of the typed client failed with, checked to be a `expected` (e.g. `NotFoundResponse`). */
export const failureOf = async <T>(
  call: Effect.Effect<unknown, unknown>,
  expected: new(...args: never) => T
): Promise<T> => {
  const outcome = await outcomeOf(call)
  if (outcome._tag === "Success") {
    throw new Error(`expected ${expected.name}, got a success: ${describeOutcome(outcome.success)}`)
  }
  const failure = outcome.failure
  if (!(failure instanceof expected)) throw new Error(`expected ${expected.name}, got ${describeOutcome(failure)}`)
  return failure
}

/**
 * Leaves a stream the typed client opened (an SSE answer): reads it for `forMillis`, then stops, which closes the
 * connection (the server then frees its subscription).
 */
export const leaveStream = <A, E>(stream: Stream.Stream<A, E>, forMillis = 20): Effect.Effect<void, E> =>
  Effect.asVoid(Effect.timeoutOption(Stream.runDrain(stream), `${forMillis} millis`))

/** Every `AUTH_TOKEN=` the simulator's agents hold in their workspace files (the agent tokens provisioning wrote). */
export const tokensOnGateway = (simulator: GatewaySimulator): Set<string> => {
  const found = new Set<string>()
  for (const agent of simulator.agents().values()) {
    for (const content of agent.files.values()) {
      for (const match of content.matchAll(/AUTH_TOKEN=(\S+)/g)) found.add(match[1]!)
    }
  }
  return found
}

/** The agent token provisioning wrote for an agent (from its `openclaw_session_id`, `agent:<key>:…`), if any. */
export const tokenOnGateway = (
  simulator: GatewaySimulator,
  agent: { readonly openclaw_session_id: string | null }
): string | undefined => {
  const key = agent.openclaw_session_id?.split(":")[1]
  const files = key === undefined ? undefined : simulator.agents().get(key)?.files
  for (const content of files?.values() ?? []) {
    const match = /AUTH_TOKEN=(\S+)/.exec(content)
    if (match !== null) return match[1]
  }
  return undefined
}
