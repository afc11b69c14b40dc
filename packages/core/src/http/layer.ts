import { Duration, Effect, Layer } from "effect"
import { Headers, HttpRouter, UrlParams } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { MissionControlApi, openApiPath } from "./Api.js"
import type { AuthenticationOptions } from "./authentication.js"
import { layerAuthentication } from "./authentication.js"
import type { EnvelopeOptions } from "./envelope.js"
import { layerRequestEnvelope } from "./envelope.js"
import { AgentAdoptionHandlers } from "./handlers/agentAdoption.js"
import { AgentCoordinationHandlers } from "./handlers/agentCoordination.js"
import { AgentsHandlers } from "./handlers/agents.js"
import { AgentTokenHandlers } from "./handlers/agentToken.js"
import { AgentBoardsHandlers, BoardsHandlers } from "./handlers/boards.js"
import { GatewaysHandlers } from "./handlers/gateways.js"
import { GatewaySessionsHandlers } from "./handlers/gatewaySessions.js"
import { HealthHandlers } from "./handlers/health.js"
import { ReconcileHandlers } from "./handlers/reconcile.js"
import { SsePingInterval } from "./options.js"
import { answerNotFound, layerUnrouted } from "./unrouted.js"

/** Options of the API's routes. */
export interface ApiOptions extends EnvelopeOptions, AuthenticationOptions {
  /** Seconds between SSE keep-alive pings (default 15). */
  readonly pingIntervalSeconds?: number | undefined
}

/**
 * The Mission Control API's routes on an `HttpRouter`, with the OpenAPI document at `/api/v1/openapi.json`: the
 * handlers of the one definition, on the core's services and the host's `UserAuthenticator`. Serve it with
 * `HttpRouter.toHttpEffect` / `HttpRouter.serve`, or mount it in Express with `@mission-control/adapter-express`.
 */
export const layerApi = (options: ApiOptions = {}) =>
  HttpApiBuilder.layer(MissionControlApi, { openapiPath: openApiPath }).pipe(
    Layer.provide([
      AgentTokenHandlers,
      AgentCoordinationHandlers,
      AgentBoardsHandlers,
      AgentsHandlers,
      BoardsHandlers,
      GatewaysHandlers,
      GatewaySessionsHandlers,
      HealthHandlers,
      ReconcileHandlers,
      AgentAdoptionHandlers
    ]),
    Layer.provide([layerAuthentication(options), layerRequestEnvelope(options)]),
    Layer.merge(layerUnrouted),
    Layer.provide(
      options.pingIntervalSeconds === undefined
        ? Layer.empty
        : Layer.succeed(SsePingInterval, Duration.seconds(options.pingIntervalSeconds))
    )
  )

/** Query parameters that carry secrets: `GET /gateways/status?gateway_token=…`. */
const secretQueryParameters = ["gateway_token"]

/**
 * Redacts the API's secrets wherever Effect prints or traces a request: `X-Agent-Token` among the headers (as
 * `authorization` is) and `gateway_token` among the query parameters (the server span's `url.full` and
 * `url.query`). Provide it where the HTTP server is built (the server's span reads it there, outside the API's
 * handlers): `createMissionControlHandler` and the Express router do.
 */
export const layerRedactedNames = Layer.mergeAll(
  Layer.effect(
    Headers.CurrentRedactedNames,
    Effect.map(Effect.service(Headers.CurrentRedactedNames), (names) => [...names, "x-agent-token"])
  ),
  Layer.effect(
    UrlParams.CurrentRedactedNames,
    Effect.map(Effect.service(UrlParams.CurrentRedactedNames), (names) => [...names, ...secretQueryParameters])
  )
)

/** Agent tokens travel in `X-Agent-Token`: redacted wherever Effect prints or traces headers, as `authorization` is. */
const withAgentTokensRedacted = <A, E, R>(app: Effect.Effect<A, E, R>) =>
  Effect.flatMap(
    Effect.service(Headers.CurrentRedactedNames),
    (names) => Effect.provideService(app, Headers.CurrentRedactedNames, [...names, "x-agent-token"])
  )

const isRouteNotFound = (error: unknown): boolean =>
  typeof error === "object" && error !== null && "reason" in error && typeof error.reason === "object" &&
  error.reason !== null && "_tag" in error.reason && error.reason._tag === "RouteNotFound"

/**
 * The API as one HTTP effect (build it once, in a scope): `layerApi`'s routes, and a JSON 404 for a request no route
 * can even be matched against (a path that does not decode, `%ZZ`). Hand it to `NodeHttpServer.makeHandler`,
 * `HttpServer.serve` or a web handler.
 */
export const makeHttpEffect = (options: ApiOptions = {}) =>
  Effect.map(
    HttpRouter.toHttpEffect(layerApi(options)),
    (app) => Effect.catchIf(withAgentTokensRedacted(app), isRouteNotFound, () => answerNotFound)
  )
