// The fleet's markup: one section per gateway (its template sync, then its agents: the gateway's own agent and one
// table per board). Rows hold no controls, so a board's rows are redrawn whole on every change.
import type { AgentRead, GatewayRead, SyncProgress, SyncResult } from "@mission-control/core"
import type { AgentGroup } from "./fleetState.js"
import { parseUtc } from "./fleetState.js"

type Child = Node | string

const element = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Readonly<Record<string, string>> = {},
  ...children: ReadonlyArray<Child>
): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  node.append(...children)
  return node
}

const formatTime = (timestamp: string): HTMLTimeElement => {
  const at = new Date(parseUtc(timestamp))
  return element("time", { datetime: at.toISOString() }, at.toLocaleString())
}

const roleOf = (agent: AgentRead): string =>
  agent.is_gateway_main ? "Gateway agent" : agent.is_board_lead ? "Board lead" : "Agent"

const agentRow = (agent: AgentRead): HTMLTableRowElement =>
  element(
    "tr",
    { "data-agent-id": agent.id, ...(agent.last_provision_error === null ? {} : { class: "has-error" }) },
    element("th", { scope: "row" }, agent.name),
    element("td", {}, roleOf(agent)),
    element("td", {}, element("span", { class: "status", "data-status": agent.status }, agent.status)),
    element("td", {}, agent.last_seen_at === null ? "never" : formatTime(agent.last_seen_at)),
    element(
      "td",
      { class: "provision-error" },
      agent.last_provision_error === null ? "none" : agent.last_provision_error
    )
  )

const agentTable = (group: AgentGroup, headingId: string): HTMLTableElement =>
  element(
    "table",
    { "aria-labelledby": headingId },
    element(
      "thead",
      {},
      element(
        "tr",
        {},
        ...["Agent", "Role", "Status", "Last seen", "Last provision error"].map((label) =>
          element("th", { scope: "col" }, label)
        )
      )
    ),
    element("tbody", {}, ...group.agents.map(agentRow))
  )

const groupSection = (gatewayId: string, group: AgentGroup): HTMLElement => {
  const headingId = `agents-${gatewayId}-${group.boardId ?? "gateway"}`
  const heading = group.boardId === null
    ? element("h3", { id: headingId }, "Gateway agent")
    : element("h3", { id: headingId }, "Board ", element("code", {}, group.boardId))
  return element(
    "section",
    { class: "agents", "aria-labelledby": headingId, "data-board-id": group.boardId ?? "" },
    heading,
    agentTable(group, headingId)
  )
}

/** One gateway's section: what the page updates in it. */
interface GatewayParts {
  readonly agents: HTMLElement
  readonly button: HTMLButtonElement
  readonly progress: HTMLProgressElement
  readonly percent: HTMLElement
  readonly status: HTMLElement
  readonly errors: HTMLUListElement
}

const percentOf = (value: number, max: number) => `${Math.round(max === 0 ? 100 : (value / max) * 100)} %`

/** The fleet's part of the page. `onSync` is called when a gateway's "Sync templates" button is pressed. */
export class FleetView {
  private readonly gateways = new Map<string, GatewayParts>()

  constructor(private readonly root: HTMLElement, private readonly onSync: (gatewayId: string) => void) {}

  showGateways(gateways: ReadonlyArray<GatewayRead>): void {
    this.gateways.clear()
    this.root.replaceChildren()
    if (gateways.length === 0) {
      this.root.append(element("p", {}, "This organization has no gateway yet."))
      return
    }
    for (const gateway of gateways) this.root.append(this.gatewaySection(gateway))
  }

  showAgents(gatewayId: string, groups: ReadonlyArray<AgentGroup>): void {
    const parts = this.gateways.get(gatewayId)
    if (parts === undefined) return
    parts.agents.replaceChildren(
      ...(groups.length === 0
        ? [element("p", {}, "No agents on this gateway.")]
        : groups.map((group) => groupSection(gatewayId, group)))
    )
  }

  syncStarted(gatewayId: string): void {
    const parts = this.gateways.get(gatewayId)
    if (parts === undefined) return
    parts.button.disabled = true
    parts.progress.max = 1
    parts.progress.value = 0
    parts.percent.textContent = "0 %"
    parts.status.textContent = "Sync started…"
    parts.errors.replaceChildren()
  }

  syncProgressed(gatewayId: string, progress: SyncProgress): void {
    const parts = this.gateways.get(gatewayId)
    if (parts === undefined) return
    parts.progress.max = progress.total
    parts.progress.value = progress.index
    parts.percent.textContent = percentOf(progress.index, progress.total)
    parts.status.textContent = `${progress.index} of ${progress.total}: ${progress.agent_name} ${progress.outcome}`
  }

  syncFinished(gatewayId: string, result: SyncResult): void {
    const parts = this.gateways.get(gatewayId)
    if (parts === undefined) return
    parts.button.disabled = false
    parts.progress.value = parts.progress.max
    parts.percent.textContent = "100 %"
    const failed = result.errors.length
    parts.status.textContent =
      `Sync done: ${result.agents_updated} updated, ${result.agents_skipped} skipped, ${failed} ${
        failed === 1 ? "error" : "errors"
      }.`
    parts.errors.replaceChildren(
      ...result.errors.map((error) => element("li", {}, `${error.agent_name ?? "An agent"}: ${error.message}`)),
      ...result.unsupported_files.map((file) => element("li", {}, `The gateway refused the file ${file}.`))
    )
  }

  syncFailed(gatewayId: string, reason: string): void {
    const parts = this.gateways.get(gatewayId)
    if (parts === undefined) return
    parts.button.disabled = false
    parts.status.textContent = `Sync failed: ${reason}`
  }

  private gatewaySection(gateway: GatewayRead): HTMLElement {
    const id = gateway.id
    const button = element("button", { type: "button", "aria-describedby": `sync-status-${id}` }, "Sync templates")
    button.addEventListener("click", () => this.onSync(id))
    const progress = element("progress", { id: `sync-progress-${id}`, max: "1", value: "0" })
    const percent = element("span", { class: "percent", "aria-hidden": "true" }, "0 %")
    const status = element("p", { id: `sync-status-${id}`, role: "status" }, "Not synced from this page yet.")
    const errors = element("ul", { class: "sync-errors" })
    const agents = element("div", { class: "gateway-agents" })
    this.gateways.set(id, { agents, button, progress, percent, status, errors })
    return element(
      "section",
      { class: "gateway", "aria-labelledby": `gateway-${id}`, "data-gateway-id": id },
      element("h2", { id: `gateway-${id}` }, gateway.name),
      element("p", { class: "gateway-url" }, element("code", {}, gateway.url)),
      element(
        "div",
        { class: "sync" },
        button,
        element("label", { for: progress.id }, "Template sync"),
        progress,
        percent,
        status,
        errors
      ),
      agents
    )
  }
}
