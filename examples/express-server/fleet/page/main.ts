// The fleet page: sign in with a user's bearer token, then the organization's gateways and agents, live.
import type { GatewayRead } from "@mission-control/core"
import { ForbiddenResponse } from "@mission-control/core/http"
import { Duration, Effect, Fiber } from "effect"
import type { Client } from "./api.js"
import { connect, describeFailure, isSignedOut, listGateways } from "./api.js"
import type { AgentChange } from "./fleetState.js"
import { FleetState } from "./fleetState.js"
import { followAgents } from "./live.js"
import { forgetToken, storedToken, storeToken, takeTokenFromFragment } from "./session.js"
import { syncTemplates } from "./templateSync.js"
import { FleetView } from "./view.js"

const required = <T extends HTMLElement>(id: string, kind: new() => T): T => {
  const found = document.getElementById(id)
  if (!(found instanceof kind)) throw new Error(`The page has no ${kind.name} #${id}`)
  return found
}

const signInForm = required("sign-in", HTMLFormElement)
const tokenInput = required("token", HTMLInputElement)
const signInError = required("sign-in-error", HTMLElement)
const signOutButton = required("sign-out", HTMLButtonElement)
const connection = required("connection", HTMLElement)
const announcements = required("announcements", HTMLElement)
const fleetRoot = required("fleet", HTMLElement)

/** The signed-in user's client and what runs for them: stopped on sign-out. */
interface Session {
  readonly client: Client
  readonly fibers: Set<Fiber.Fiber<unknown>>
}

let session: Session | undefined
const fleet = new FleetState()
const view = new FleetView(fleetRoot, (gatewayId) => startSync(gatewayId))

const setConnection = (text: string, state: "live" | "waiting" | "signed-out") => {
  connection.textContent = text
  connection.dataset["state"] = state
}

const render = () => {
  for (const gateway of fleet.gateways) view.showAgents(gateway.id, fleet.groupsOf(gateway.id))
}

/** Tells screen readers what changed: statuses, and provisioning that failed. */
const announce = (changes: ReadonlyArray<AgentChange>) => {
  const news: Array<string> = []
  for (const { agent, previous } of changes) {
    if (previous === undefined) continue
    if (previous.status !== agent.status) news.push(`${agent.name} is now ${agent.status}.`)
    if (agent.last_provision_error !== null && agent.last_provision_error !== previous.last_provision_error) {
      news.push(`${agent.name}: provisioning failed: ${agent.last_provision_error}`)
    }
  }
  if (news.length > 0) announcements.textContent = news.join(" ")
}

const run = (current: Session, effect: Effect.Effect<unknown>) => {
  const fiber = Effect.runFork(effect)
  current.fibers.add(fiber)
  fiber.addObserver(() => current.fibers.delete(fiber))
}

const startSync = (gatewayId: string) => {
  const current = session
  if (current === undefined) return
  view.syncStarted(gatewayId)
  run(
    current,
    syncTemplates(current.client, gatewayId, (progress) => view.syncProgressed(gatewayId, progress)).pipe(
      Effect.match({
        onFailure: (failure) => view.syncFailed(gatewayId, describeFailure(failure)),
        onSuccess: (result) => view.syncFinished(gatewayId, result)
      })
    )
  )
}

const signOut = (reason?: string) => {
  const ended = session
  session = undefined
  if (ended !== undefined) { for (const fiber of ended.fibers) Effect.runFork(Fiber.interrupt(fiber)) }
  forgetToken()
  fleet.clear()
  view.showGateways([])
  fleetRoot.hidden = true
  signOutButton.hidden = true
  signInForm.hidden = false
  signInError.textContent = reason ?? ""
  setConnection("Not signed in", "signed-out")
}

const signedIn = (token: string, client: Client, gateways: ReadonlyArray<GatewayRead>) => {
  storeToken(token)
  const current: Session = { client, fibers: new Set() }
  session = current
  fleet.setGateways(gateways)
  view.showGateways(fleet.gateways)
  signInForm.hidden = true
  signInError.textContent = ""
  fleetRoot.hidden = false
  signOutButton.hidden = false
  setConnection("Connecting…", "waiting")
  run(
    current,
    followAgents(client, fleet, {
      onConnected: () => setConnection("Live", "live"),
      onDisconnected: (reason, retryIn) =>
        setConnection(`Reconnecting in ${Duration.format(retryIn)}: ${reason}`, "waiting"),
      onSignedOut: (reason) => signOut(`Signed out: ${reason}`),
      onChanges: (changes) => {
        render()
        announce(changes)
      }
    })
  )
}

const refusalOf = (failure: unknown): string => {
  if (isSignedOut(failure)) return "the server does not know this token (the example makes new ones on every start)."
  if (failure instanceof ForbiddenResponse) return "this user is not an admin of their organization."
  return describeFailure(failure)
}

/** Counts sign-ins, so only the latest one's answer is used. */
let signIns = 0

const signIn = (token: string) => {
  if (session !== undefined) signOut()
  const attempt = ++signIns
  setConnection("Signing in…", "waiting")
  Effect.runFork(
    Effect.flatMap(connect(token), (client) => Effect.map(listGateways(client), (gateways) => ({ client, gateways })))
      .pipe(Effect.match({
        onFailure: (failure) => {
          if (attempt === signIns) signOut(`Sign-in refused: ${refusalOf(failure)}`)
        },
        onSuccess: ({ client, gateways }) => {
          if (attempt === signIns) signedIn(token, client, gateways)
        }
      }))
  )
}

signInForm.addEventListener("submit", (event) => {
  event.preventDefault()
  const token = tokenInput.value.trim()
  tokenInput.value = ""
  if (token !== "") signIn(token)
})
signOutButton.addEventListener("click", () => signOut())
// A link with another `#token=` opened in this tab changes only the fragment: no page load.
window.addEventListener("hashchange", () => {
  const token = takeTokenFromFragment()
  if (token !== undefined) signIn(token)
})

const initial = takeTokenFromFragment() ?? storedToken()
if (initial === undefined) setConnection("Not signed in", "signed-out")
else signIn(initial)
