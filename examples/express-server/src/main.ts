// The example server: the Mission Control API on embedded Postgres (PGlite), seeded with two organizations, each on
// its own gateway simulator (own port, own token) by default.
//   DATABASE_URL=postgres://…            use a real Postgres
//   GATEWAY_URL=ws://… GATEWAY_TOKEN=…   put the first organization (Acme) on a real OpenClaw gateway; the second
//                                        (Globex) stays on a simulator, as organizations never share a gateway
//   PORT=8000                            0 picks a free port; the ready line tells which
//   MC_DATA_DIR=…                        keep the embedded database's data in this directory
//   MC_LOG_LEVEL=info                    debug adds request lines and the details of a failed start
// stdout: the ready line first (one JSON object), then a few lines for people. stderr: the logs, and when the start
// fails, one line saying what failed, which setting and what to do (exit code 1).
import {
  AgentTokens,
  checkInOverdueAgents,
  displayGatewayUrl,
  LivenessWatcher,
  reconcilePendingProvisioning,
  Reconciler,
  TemplateRenderer
} from "@mission-control/core"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import type { DeviceIdentity } from "@mission-control/gateway-rpc"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { Cause, Effect, Exit, Layer, LogLevel, ManagedRuntime, Option, Redacted, Schedule } from "effect"
import { DemoUserTokens, makeApp } from "./app.js"
import { causeLine, runForever } from "./background.js"
import { databaseFailure, databaseLayer, describeDatabase, lifecycleLayer } from "./database.js"
import { checkGateway } from "./gatewayCheck.js"
import { listen } from "./listen.js"
import { loggingLayer } from "./logging.js"
import type { DemoGateway } from "./seed.js"
import { seedDemo } from "./seed.js"
import type { Settings } from "./settings.js"
import { readSettings } from "./settings.js"
import { StartupError, startupLine } from "./startupError.js"

/** A failure of one step of the start as a `StartupError`, its whole cause in the debug log first. */
const explainedAs =
  <E>(explain: (cause: Cause.Cause<E>) => StartupError) =>
  (cause: Cause.Cause<E>): Effect.Effect<never, StartupError> =>
    Cause.hasInterruptsOnly(cause)
      ? Effect.interrupt
      : Effect.logDebug("start-up failed", cause).pipe(Effect.andThen(Effect.fail(explain(cause))))

/** A gateway simulator for an organization that needs one, with its own port and token, stopped with the scope. */
const simulatedGateway = Effect.acquireRelease(
  Effect.promise(() =>
    startGatewaySimulator({
      reloadDelayMs: 200,
      token: `simulator-${globalThis.crypto.randomUUID().replace(/-/g, "")}`
    })
  ),
  (simulator) => Effect.promise(() => simulator.stop())
).pipe(Effect.map((simulator): DemoGateway => ({ url: simulator.url, token: simulator.token, simulator: true })))

/** The services of the API on the configured database, built now: a database that cannot be used fails here. */
const startRuntime = (settings: Settings, device: DeviceIdentity) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.acquireRelease(
      Effect.sync(() =>
        ManagedRuntime.make(Layer.provideMerge(
          // Provisioning as durable workflows in the same database: work cut off by a restart resumes.
          lifecycleLayer(settings.database),
          Layer.mergeAll(
            databaseLayer(settings.database),
            AgentTokens.layer,
            TemplateRenderer.layer,
            GatewayRpc.layer({ device }),
            loggingLayer(settings.logLevel)
          )
        ))
      ),
      (runtime) => runtime.disposeEffect
    )
    const context = yield* runtime.contextEffect.pipe(
      Effect.catchCause(explainedAs((cause) => databaseFailure(settings.database, cause)))
    )
    return { runtime, context }
  })

/** Starts the example and serves until interrupted. Each step fails with the `StartupError` that explains it. */
const serve = (settings: Settings) =>
  Effect.gen(function*() {
    // Cheapest first, and before anything slow: a port in use fails in milliseconds.
    const listener = yield* listen(settings.port)
    const device = GatewayRpc.generateDeviceIdentity()
    // The gateway before the database: its check takes milliseconds, and the embedded database's start (seconds)
    // cannot be interrupted.
    if (settings.gateway !== undefined) yield* checkGateway(settings.gateway, device)
    const { context, runtime } = yield* startRuntime(settings, device)
    const gateways = {
      acme: settings.gateway === undefined
        ? yield* simulatedGateway
        : {
          url: settings.gateway.url,
          token: settings.gateway.token === null ? null : Redacted.value(settings.gateway.token),
          simulator: false
        },
      globex: yield* simulatedGateway
    }
    const tokens = new DemoUserTokens()
    const organizations = yield* seedDemo(gateways, tokens).pipe(
      Effect.provide(context),
      Effect.catchCause(explainedAs((cause) =>
        new StartupError({
          detail: `seeding the demo failed: ${causeLine(cause)}`,
          setting: settings.gateway === undefined ? null : "GATEWAY_URL",
          remedy: settings.gateway === undefined
            ? "Please report it, with the debug log"
            : "Check that the gateway at GATEWAY_URL grants this client its scopes (docs/gateway.md), or unset GATEWAY_URL to use a simulator"
        })
      ))
    )

    const { app, router } = makeApp(runtime, tokens, organizations.map((organization) => organization.id))
    yield* Effect.addFinalizer(() => Effect.promise(() => router.dispose()))
    listener.serve(app)
    // Released first: no new request reaches the router while it and the runtime close.
    yield* Effect.addFinalizer(() => listener.close)
    const url = listener.url

    console.log(JSON.stringify({ ready: true, url, organizations }))
    console.log(`Mission Control is listening on ${url}/api/v1 (OpenAPI: ${url}/api/v1/openapi.json)`)
    console.log(`Database: ${describeDatabase(settings.database)}`)
    for (const organization of organizations) {
      const gateway = organization.gateway
      console.log(
        `${organization.name} gateway: ${
          gateway.simulator ? `simulator at ${gateway.url}` : displayGatewayUrl(gateway.url)
        }`
      )
      console.log(
        `${organization.name}: curl -H "Authorization: Bearer ${organization.users.owner.token}" ${url}/api/v1/agents`
      )
    }
    // Finish provisioning a crash or an outage left pending, now and every minute, whatever one run meets.
    runtime.runFork(
      runForever("reconcilePendingProvisioning", reconcilePendingProvisioning(), Schedule.spaced("1 minute"))
    )
    // Wake again the agents that did not check in after a wakeup, and give up on them after the last attempt.
    runtime.runFork(runForever("checkInOverdueAgents", checkInOverdueAgents(), Schedule.spaced("10 seconds")))
    // Keep every gateway matching the database (orphans reported, never deleted): now and every five minutes, and a
    // gateway that could not be reached soon after it answers again.
    runtime.runFork(Layer.launch(Reconciler.layer()))
    // Agents seen from their gateways' events (health, agent runs, chat replies), not only from heartbeats.
    runtime.runFork(Layer.launch(LivenessWatcher.layer()))
    return yield* Effect.never
  })

/**
 * Prints the one line of a failed start on stderr (a failure that is no `StartupError` is told as it is), saying
 * where the details are when the failure has more to tell than the line (`detailed`).
 */
const reportFailure = (detailed: boolean) => (cause: Cause.Cause<StartupError>) => {
  if (Cause.hasInterruptsOnly(cause)) return Effect.void
  const error = Cause.findErrorOption(cause)
  const explained = Option.isSome(error) ? Effect.succeed(error.value) : Effect.logDebug("start-up failed", cause).pipe(
    Effect.as(
      new StartupError({ detail: causeLine(cause), setting: null, remedy: "Please report it, with the debug log" })
    )
  )
  return Effect.all([explained, LogLevel.isEnabled("Debug")]).pipe(
    Effect.flatMap(([startupError, debugLogged]) =>
      Effect.sync(() => {
        const details = !detailed ? "none" : debugLogged ? "logged" : "hidden"
        process.stderr.write(`${startupLine(startupError, details)}\n`)
        // The line is out; a resource that does not close promptly must not keep a failed process alive.
        setTimeout(() => process.exit(1), 3_000).unref()
      })
    )
  )
}

const main = readSettings(process.env).pipe(
  // A setting that cannot work is all there is to say.
  Effect.tapCause(reportFailure(false)),
  Effect.flatMap((settings) =>
    serve(settings).pipe(
      // Inside the scope: the line comes before what the scope then closes.
      Effect.tapCause(reportFailure(true)),
      Effect.scoped,
      Effect.provide(loggingLayer(settings.logLevel))
    )
  )
)

const fiber = Effect.runFork(main)
fiber.addObserver((exit) => process.exit(Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause) ? 1 : 0))
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => fiber.interruptUnsafe())
