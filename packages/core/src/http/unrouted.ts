import { Effect } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { reason } from "../errors.js"
import { apiPrefix, MissionControlApi, openApiPath } from "./Api.js"
import { requestIdOf } from "./envelope.js"

interface RouteShape {
  readonly pattern: RegExp
  readonly methods: Array<string>
}

/** Every path of the API with the methods it takes, from the definition. */
const routeShapes = (): ReadonlyArray<RouteShape> => {
  const byPath = new Map<string, RouteShape>()
  for (const group of Object.values(MissionControlApi.groups)) {
    for (const endpoint of Object.values(group.endpoints)) {
      const path = endpoint.path
      const shape = byPath.get(path) ?? {
        pattern: new RegExp(`^${path.replace(/:[^/]+/g, "[^/]+")}/?$`),
        methods: []
      }
      shape.methods.push(endpoint.method)
      byPath.set(path, shape)
    }
  }
  // The OpenAPI document is a route of the builder, not of an endpoint.
  byPath.set(openApiPath, { pattern: new RegExp(`^${openApiPath}$`), methods: ["GET"] })
  return [...byPath.values()]
}

// Every method but HEAD: the router answers a HEAD that no route takes as the GET of the same path.
const fallbackMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const

const shapes = routeShapes()

/**
 * The answer to a request no route takes, in the API's JSON, as FastAPI answers (never a host's HTML page): a known
 * path asked with another method is a 405 with the methods it takes, anything else (a path that does not even decode
 * included) a 404.
 */
const answer = (
  request: HttpServerRequest.HttpServerRequest,
  status: number,
  detail: string,
  headers: Readonly<Record<string, string>> = {}
) => {
  const requestId = requestIdOf(request.headers["x-request-id"])
  return HttpServerResponse.jsonUnsafe({ detail, request_id: requestId }, {
    status,
    headers: { ...headers, "x-request-id": requestId }
  })
}

/** The API's JSON 404, for a request no route can even be matched against (a path that does not decode, `%ZZ`). */
export const answerNotFound = Effect.map(
  Effect.service(HttpServerRequest.HttpServerRequest),
  (request) => answer(request, 404, reason.notFound)
)

const answerUnrouted = Effect.map(Effect.service(HttpServerRequest.HttpServerRequest), (request) => {
  const path = request.url.split("?", 1)[0]!
  const known = shapes.find((shape) => shape.pattern.test(path))
  if (known === undefined) return answer(request, 404, reason.notFound)
  const allow = known.methods.includes("GET") ? [...known.methods, "HEAD"] : known.methods
  return answer(request, 405, "Method Not Allowed", { allow: allow.join(", ") })
})

/** Every request under the prefix that no route takes answers `answerUnrouted`. */
export const layerUnrouted = HttpRouter.use((router) =>
  Effect.forEach(fallbackMethods, (method) => router.add(method, `${apiPrefix}/*`, answerUnrouted), { discard: true })
)
