import type { AgentRead, GatewayRead } from "@mission-control/core"

/** The API's timestamps are naive UTC (`2026-02-12T09:30:00.123000`): read as UTC, never as local time. */
export const parseUtc = (timestamp: string): number =>
  Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(timestamp) ? timestamp : `${timestamp}Z`)

/** The latest `updated_at` among `agents`, as the server wrote it; undefined for none. */
export const newestUpdate = (agents: ReadonlyArray<AgentRead>): string | undefined => {
  let newest: AgentRead | undefined
  for (const agent of agents) {
    if (newest === undefined || parseUtc(agent.updated_at) > parseUtc(newest.updated_at)) newest = agent
  }
  return newest?.updated_at
}

/** One board's agents, or a gateway's own agent (`boardId` null). */
export interface AgentGroup {
  readonly boardId: string | null
  readonly agents: ReadonlyArray<AgentRead>
}

/** What an agent update changed, for the page to announce. */
export interface AgentChange {
  readonly agent: AgentRead
  /** The view shown before, when the agent was already shown. */
  readonly previous: AgentRead | undefined
}

const byName = (left: AgentRead, right: AgentRead) =>
  Number(right.is_board_lead) - Number(left.is_board_lead) || left.name.localeCompare(right.name)

/**
 * The fleet as the page shows it: the organization's gateways and the newest known view of each agent. Agents come
 * from two sources (listings and the live stream) in any order: an older `updated_at` never replaces a newer one,
 * and of two views of the same change the later one wins, as its status is computed later (an agent that went
 * silent turns `offline` without a change).
 */
export class FleetState {
  private gatewayList: ReadonlyArray<GatewayRead> = []
  private readonly agents = new Map<string, { readonly agent: AgentRead; readonly revision: number }>()
  /** Counts the views applied, so a listing knows which agents the stream showed after it was requested. */
  private revision = 0

  setGateways(gateways: ReadonlyArray<GatewayRead>): void {
    this.gatewayList = [...gateways].sort((left, right) => left.name.localeCompare(right.name))
  }

  get gateways(): ReadonlyArray<GatewayRead> {
    return this.gatewayList
  }

  /** Applies an agent from the stream; undefined when it is older than the one shown. */
  applyStreamed(agent: AgentRead): AgentChange | undefined {
    return this.apply(agent)
  }

  /** Marks the start of a listing request: pass the mark to `applyListing` with its answer. */
  beginListing(): number {
    return this.revision
  }

  /**
   * Applies a full listing: newer views replace shown ones, and agents missing from it are dropped (deleted), except
   * those the stream showed after the listing was requested.
   */
  applyListing(agents: ReadonlyArray<AgentRead>, requestedAt: number): ReadonlyArray<AgentChange> {
    const changes: Array<AgentChange> = []
    const listed = new Set<string>()
    for (const agent of agents) {
      listed.add(agent.id)
      const change = this.apply(agent)
      if (change !== undefined) changes.push(change)
    }
    for (const [id, shown] of this.agents) {
      if (!listed.has(id) && shown.revision <= requestedAt) this.agents.delete(id)
    }
    return changes
  }

  /** The gateway's agents, its own agent first, then one group per board. */
  groupsOf(gatewayId: string): ReadonlyArray<AgentGroup> {
    const groups = new Map<string | null, Array<AgentRead>>()
    for (const { agent } of this.agents.values()) {
      if (agent.gateway_id !== gatewayId) continue
      const group = groups.get(agent.board_id) ?? []
      group.push(agent)
      groups.set(agent.board_id, group)
    }
    return [...groups.entries()]
      .sort(([left], [right]) => left === null ? -1 : right === null ? 1 : left.localeCompare(right))
      .map(([boardId, agents]) => ({ boardId, agents: agents.sort(byName) }))
  }

  clear(): void {
    this.gatewayList = []
    this.agents.clear()
  }

  private apply(agent: AgentRead): AgentChange | undefined {
    const shown = this.agents.get(agent.id)?.agent
    if (shown !== undefined && parseUtc(agent.updated_at) < parseUtc(shown.updated_at)) return undefined
    this.agents.set(agent.id, { agent, revision: ++this.revision })
    return { agent, previous: shown }
  }
}
