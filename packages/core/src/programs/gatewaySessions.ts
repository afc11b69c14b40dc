import { Effect, Option, Redacted, Schema } from "effect"
import { gatewayMainSessionKey } from "../domain/identity.js"
import type { GatewayId } from "../domain/ids.js"
import { BoardId, normalizeUuid } from "../domain/ids.js"
import type { Board, Gateway, JsonObject, User } from "../domain/models.js"
import { Forbidden, GatewayFailure, NotFound, reason, Unprocessable } from "../errors.js"
import { annotate, AttributeKey } from "../observability/attributes.js"
import { sha256Hex } from "../services/AgentTokens.js"
import { BoardRepository } from "../services/BoardRepository.js"
import type { GatewayClient, GatewayError, GatewayTarget } from "../services/GatewayControlPlane.js"
import { GatewayControlPlane, gatewayError } from "../services/GatewayControlPlane.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import type { UserContext } from "./access.js"
import { gatewayTarget, requireBoardAccess, requireOrgAdmin } from "./access.js"
import { catalogEvents, catalogMethods, catalogProtocol } from "./gatewayCatalog.js"
import { checkGatewayVersion } from "./gatewayVersion.js"

// The gateway operator's routes: a gateway's status, its sessions, a session's history, a message into a session,
// and the command catalog. Org admins only; a board names the gateway (and must be readable by the caller).

/** Which gateway to talk to: a board's, or (for the status only) a URL with its own connection options. */
export interface GatewayResolveQuery {
  readonly boardId: string | null
  readonly gatewayUrl: string | null
  readonly gatewayToken: string | null
  readonly gatewayAllowInsecureTls: boolean | null
  readonly gatewayDisableDevicePairing: boolean | null
}

/** A gateway's connectivity and sessions, as `GET /gateways/status` tells them. */
export interface GatewayStatus {
  readonly connected: boolean
  readonly gatewayUrl: string
  readonly sessions: ReadonlyArray<JsonObject> | null
  readonly mainSession: JsonObject | null
  readonly mainSessionError: string | null
  readonly error: string | null
}

/** A gateway's sessions, and the gateway agent's main session when a board named the gateway. */
export interface GatewaySessionList {
  readonly sessions: ReadonlyArray<JsonObject>
  readonly mainSession: JsonObject | null
}

/** The protocol, methods and events of a gateway. */
export interface GatewayCommands {
  readonly protocol: number
  readonly methods: ReadonlyArray<string>
  readonly events: ReadonlyArray<string>
}

interface ResolvedGateway {
  readonly board: Board | null
  readonly target: GatewayTarget
  readonly client: GatewayClient
  /** The gateway agent's main session key; none for a gateway given by URL. */
  readonly mainSession: string | null
}

const mainSessionLabel = "Gateway Agent"

// The pool retries a refused connection for a while; an operator waiting on a page gets an answer sooner.
const operatorDeadline = "10 seconds"

const bounded = <A>(method: string, effect: Effect.Effect<A, GatewayError>): Effect.Effect<A, GatewayError> =>
  effect.pipe(Effect.timeoutOrElse({
    duration: operatorDeadline,
    orElse: () => Effect.fail(gatewayError(method, "Timeout", `gateway did not answer within ${operatorDeadline}`))
  }))

/** The reference's wording for the gateway errors operators most often meet: missing scopes and refused tokens. */
export const operatorGatewayErrorText = (error: GatewayError): string => {
  const detail = error.detail.trim()
  if (detail === "") return "Gateway authentication failed. Verify gateway token and operator scopes."
  const scope = /missing\s+scope\s*:\s*([A-Za-z0-9._:-]+)/i.exec(detail)?.[1]
  if (scope !== undefined) {
    return `Gateway token is missing required scope \`${scope}\`. Update the gateway token scopes and retry.`
  }
  if (/unauthorized|forbidden/i.test(detail)) {
    return "Gateway authentication failed. Verify gateway token and operator scopes."
  }
  return detail
}

const badGateway = (error: GatewayError) => new GatewayFailure({ detail: error.detail })

const trimmedOrNull = (value: string | null) => {
  const trimmed = value?.trim() ?? ""
  return trimmed === "" ? null : trimmed
}

// A saved gateway of the organization at exactly this URL, if any.
const savedGatewayAt = Effect.fnUntraced(function*(context: UserContext, url: string) {
  const gateways = yield* GatewayRepository
  const pageSize = 100
  for (let offset = 0;; offset += pageSize) {
    const page = yield* gateways.listByOrganization(context.organization.id, { limit: pageSize, offset })
    const found = page.items.find((gateway) => gateway.url.trim() === url)
    if (found !== undefined) return Option.some(found)
    if (page.items.length < pageSize) return Option.none<Gateway>()
  }
})

// A gateway given by URL only still needs an id (for its spans and metrics): one derived from the URL.
const probeGatewayId = (url: string) =>
  Effect.map(
    sha256Hex(`gateway-probe:${url}`),
    (hex) =>
      `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${
        hex.slice(20, 32)
      }` as GatewayId
  )

const sameToken = (a: Redacted.Redacted<string> | null, b: Redacted.Redacted<string> | null) =>
  a === null || b === null ? a === b : Redacted.value(a) === Redacted.value(b)

const sameTarget = (a: GatewayTarget, b: GatewayTarget) =>
  a.gatewayId === b.gatewayId && a.url === b.url && sameToken(a.token, b.token) &&
  a.allowInsecureTls === b.allowInsecureTls && a.disableDevicePairing === b.disableDevicePairing

const pooledClient = (target: GatewayTarget) =>
  Effect.flatMap(GatewayControlPlane, (controlPlane) => controlPlane.client(target))

// The board named by `board_id` (a string, as the reference declares it: malformed names no board, 404), readable
// by the caller, its gateway valid, and of the caller's organization (403).
const resolveBoardGateway = Effect.fnUntraced(function*(context: UserContext, boardId: string | null) {
  if (boardId === null || boardId.trim() === "") {
    return yield* new Unprocessable({ detail: "board_id or gateway_url is required" })
  }
  const boards = yield* BoardRepository
  const normalized = normalizeUuid(boardId.trim())
  const board = normalized === undefined ? Option.none<Board>() : yield* Schema.decodeEffect(BoardId)(normalized).pipe(
    Effect.flatMap(boards.findById),
    Effect.catchTag("SchemaError", () => Effect.succeed(Option.none<Board>()))
  )
  if (Option.isNone(board)) return yield* new NotFound({ detail: "Board not found" })
  yield* annotate({ [AttributeKey.boardId]: board.value.id })
  yield* requireBoardAccess(context.user, board.value, false)
  if (board.value.gatewayId === null) return yield* new Unprocessable({ detail: "Board gateway_id is required" })
  const gateways = yield* GatewayRepository
  const gateway = yield* gateways.findById(board.value.gatewayId)
  if (Option.isNone(gateway) || gateway.value.organizationId !== board.value.organizationId) {
    return yield* new Unprocessable({ detail: "Board gateway_id is invalid" })
  }
  const target = yield* gatewayTarget(gateway.value)
  if (board.value.organizationId !== context.organization.id) return yield* new Forbidden({ detail: reason.forbidden })
  yield* annotate({ [AttributeKey.gatewayId]: gateway.value.id })
  return {
    board: board.value,
    target,
    client: yield* pooledClient(target),
    mainSession: gatewayMainSessionKey(gateway.value.id)
  } satisfies ResolvedGateway
})

// A gateway given by URL. The token is the query's, else the saved gateway's at that URL (a gateway's token is
// write-only, so a form cannot send it back). The connection options are the saved gateway's when its token is
// used (the query may not send that token over unverified TLS), else the query's, else the saved gateway's, else
// off. Exactly the saved gateway's target uses its pooled connection; any other is a probe on a connection of its
// own, closed with the scope: it must not replace the saved gateway's connection (failing its calls in flight),
// nor leave a pooled connection behind for every URL tried.
const resolveUrlGateway = Effect.fnUntraced(function*(context: UserContext, query: GatewayResolveQuery, url: string) {
  const saved = Option.getOrNull(yield* savedGatewayAt(context, url))
  const token = trimmedOrNull(query.gatewayToken)
  const controlPlane = yield* GatewayControlPlane
  if (saved !== null) {
    const savedTarget = yield* gatewayTarget(saved)
    const target: GatewayTarget = token === null && saved.token !== null
      ? savedTarget
      : {
        ...savedTarget,
        token: token !== null ? Redacted.make(token) : null,
        allowInsecureTls: query.gatewayAllowInsecureTls ?? saved.allowInsecureTls,
        disableDevicePairing: query.gatewayDisableDevicePairing ?? saved.disableDevicePairing
      }
    const client = sameTarget(target, savedTarget)
      ? yield* controlPlane.client(target)
      : yield* controlPlane.probe(target)
    return { board: null, target, client, mainSession: null } satisfies ResolvedGateway
  }
  const target: GatewayTarget = {
    gatewayId: yield* probeGatewayId(url),
    url,
    token: token !== null ? Redacted.make(token) : null,
    allowInsecureTls: query.gatewayAllowInsecureTls ?? false,
    disableDevicePairing: query.gatewayDisableDevicePairing ?? false
  }
  return { board: null, target, client: yield* controlPlane.probe(target), mainSession: null } satisfies ResolvedGateway
})

// `GET /gateways/status` only: a board's gateway, or one given by URL (whose probe needs a scope).
const resolveGateway = (context: UserContext, query: GatewayResolveQuery) => {
  // As the reference: an empty `gateway_url` is no URL; one of blanks is a bad one.
  if (query.gatewayUrl !== null && query.gatewayUrl !== "") {
    const url = query.gatewayUrl.trim()
    if (url === "") return Effect.fail(new Unprocessable({ detail: "board_id or gateway_url is required" }))
    return resolveUrlGateway(context, query, url)
  }
  return resolveBoardGateway(context, query.boardId)
}

const listSessions = (client: GatewayClient) => bounded("sessions.list", client.listSessions)

// The gateway agent's main session, created when missing (as the reference does), labelled as its agent.
const ensureMainSession = (client: GatewayClient, key: string) =>
  bounded("sessions.patch", client.ensureSession(key, mainSessionLabel))

/**
 * `GET /gateways/status`: whether the gateway answers and runs a supported version, its sessions, and the gateway
 * agent's main session. A gateway that fails answers `connected: false` with the error, not an HTTP error.
 */
export const getGatewayStatus = Effect.fn("getGatewayStatus")(function*(
  user: User | null,
  query: GatewayResolveQuery
) {
  const context = yield* requireOrgAdmin(user)
  const resolved = yield* resolveGateway(context, query)
  const disconnected = (error: string): GatewayStatus => ({
    connected: false,
    gatewayUrl: resolved.target.url,
    sessions: null,
    mainSession: null,
    mainSessionError: null,
    error
  })
  const verdict = yield* Effect.result(bounded("connect", checkGatewayVersion(resolved.client)))
  if (verdict._tag === "Failure") return disconnected(operatorGatewayErrorText(verdict.failure))
  if (!verdict.success.compatible) return disconnected(verdict.success.message ?? "Gateway version is not supported.")
  const sessions = yield* Effect.result(listSessions(resolved.client))
  if (sessions._tag === "Failure") return disconnected(operatorGatewayErrorText(sessions.failure))
  let mainSession: JsonObject | null = null
  let mainSessionError: string | null = null
  if (resolved.mainSession !== null) {
    const ensured = yield* Effect.result(ensureMainSession(resolved.client, resolved.mainSession))
    if (ensured._tag === "Success") mainSession = ensured.success
    else mainSessionError = ensured.failure.detail
  }
  return {
    connected: true,
    gatewayUrl: resolved.target.url,
    sessions: sessions.success,
    mainSession,
    mainSessionError,
    error: null
  } satisfies GatewayStatus
}, Effect.scoped) // closes a URL probe's connection

/** `GET /gateways/sessions`: the sessions of the board's gateway (502 when it fails), and its agent's main session. */
export const listGatewaySessions = Effect.fn("listGatewaySessions")(function*(
  user: User | null,
  boardId: string | null
) {
  const context = yield* requireOrgAdmin(user)
  const resolved = yield* resolveBoardGateway(context, boardId)
  const sessions = yield* listSessions(resolved.client).pipe(Effect.mapError(badGateway))
  const mainSession = resolved.mainSession === null
    ? null
    : yield* ensureMainSession(resolved.client, resolved.mainSession).pipe(Effect.orElseSucceed(() => null))
  return { sessions, mainSession } satisfies GatewaySessionList
})

/** `GET /gateways/sessions/{session_id}`: one session of the board's gateway by key (404 "Session not found"). */
export const getGatewaySession = Effect.fn("getGatewaySession")(function*(
  user: User | null,
  sessionId: string,
  boardId: string | null
) {
  const context = yield* requireOrgAdmin(user)
  const resolved = yield* resolveBoardGateway(context, boardId)
  let sessions = yield* listSessions(resolved.client).pipe(Effect.mapError(badGateway))
  const main = resolved.mainSession
  if (main !== null && !sessions.some((session) => session["key"] === main)) {
    // The main session is created on first use: make it, then list again (a failure keeps the first list).
    sessions = yield* ensureMainSession(resolved.client, main).pipe(
      Effect.andThen(listSessions(resolved.client)),
      Effect.orElseSucceed(() => sessions)
    )
  }
  // Not `listed ?? (yield* …)`: the CJS build turns `??` into a closure, where `yield` is not allowed.
  let found = sessions.find((session) => session["key"] === sessionId)
  if (found === undefined && main !== null && sessionId === main) {
    found = yield* ensureMainSession(resolved.client, main).pipe(Effect.orElseSucceed(() => undefined))
  }
  if (found === undefined) return yield* new NotFound({ detail: "Session not found" })
  return found
})

/** `GET /gateways/sessions/{session_id}/history`: the session's chat messages (502 when the gateway fails). */
export const getGatewaySessionHistory = Effect.fn("getGatewaySessionHistory")(function*(
  user: User | null,
  sessionId: string,
  boardId: string | null
) {
  const context = yield* requireOrgAdmin(user)
  const resolved = yield* resolveBoardGateway(context, boardId)
  return yield* bounded("chat.history", resolved.client.chatHistory(sessionId)).pipe(Effect.mapError(badGateway))
})

/**
 * `POST /gateways/sessions/{session_id}/message`: sends `content` into the session (`chat.send`, not delivered to
 * a channel). The caller must be able to write the board (403 "Board access denied"); the gateway agent's main
 * session is created first when it is the target.
 */
export const sendGatewaySessionMessage = Effect.fn("sendGatewaySessionMessage")(function*(
  user: User | null,
  sessionId: string,
  boardId: string | null,
  content: string
) {
  const context = yield* requireOrgAdmin(user)
  const resolved = yield* resolveBoardGateway(context, boardId)
  if (resolved.board !== null) yield* requireBoardAccess(context.user, resolved.board, true)
  const send = Effect.gen(function*() {
    if (resolved.mainSession !== null && sessionId === resolved.mainSession) {
      yield* ensureMainSession(resolved.client, resolved.mainSession)
    }
    yield* bounded(
      "chat.send",
      resolved.client.sendChat({
        sessionKey: sessionId,
        message: content,
        deliver: false,
        idempotencyKey: globalThis.crypto.randomUUID()
      })
    )
  })
  yield* send.pipe(Effect.mapError(badGateway))
})

/**
 * `GET /gateways/commands`: the protocol, methods and events of the board's gateway as its handshake announced them
 * (502 when it cannot be reached); without a board, the base catalog of gateway 2026.9.6.
 */
export const getGatewayCommands = Effect.fn("getGatewayCommands")(function*(
  user: User | null,
  boardId: string | null
) {
  const context = yield* requireOrgAdmin(user)
  if (boardId === null) {
    return { protocol: catalogProtocol, methods: catalogMethods, events: catalogEvents } satisfies GatewayCommands
  }
  const resolved = yield* resolveBoardGateway(context, boardId)
  return yield* bounded("connect", resolved.client.catalog).pipe(Effect.mapError(badGateway))
})
